function run_dlfh(matfile, bits, seed, outfile)
% DLFH_demo.m's seeding and DLFH_algo.m's training and codes on the given arrays
% (training set = database); codes saved unpacked.
load(matfile);
rng('default'); rng(seed);
param.seed = seed; param.maxIter = 30; param.gamma = 1e-6; param.lambda = 8;
param.bit = bits; param.num_samples = bits;
[BX_opt, BY_opt] = DLFH(L_tr, param);
Wx = (I_tr' * I_tr + param.gamma * eye(size(I_tr, 2))) \ I_tr' * BX_opt;
Wy = (T_tr' * T_tr + param.gamma * eye(size(T_tr, 2))) \ T_tr' * BY_opt;
q_img = I_te * Wx > 0; q_txt = T_te * Wy > 0;
db_img = BX_opt > 0; db_txt = BY_opt > 0;
save('-v7', outfile, 'q_img', 'q_txt', 'db_img', 'db_txt');
end
