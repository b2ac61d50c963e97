function run_cmfh(matfile, bits, seed, outfile)
% demo_CMFH.m's steps on the given arrays, seeded; codes saved unpacked.
load(matfile);
rng(seed);
param.alphas = [0.5 0.5]; param.gamma = 0.01; param.mu = 100;
I_te = bsxfun(@minus, I_te, mean(I_tr, 1)); I_db = bsxfun(@minus, I_db, mean(I_tr, 1));
I_tr = bsxfun(@minus, I_tr, mean(I_tr, 1));
T_te = bsxfun(@minus, T_te, mean(T_tr, 1)); T_db = bsxfun(@minus, T_db, mean(T_tr, 1));
T_tr = bsxfun(@minus, T_tr, mean(T_tr, 1));
[model, B] = CMFH_learn(I_tr, T_tr, param, bits);
[db_img, db_txt, q_img, q_txt] = CMFH_compress1(model, I_db, T_db, I_te, T_te);
save('-v7', outfile, 'q_img', 'q_txt', 'db_img', 'db_txt');
end
