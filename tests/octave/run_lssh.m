function run_lssh(matfile, bits, seed, outfile)
% demo_LSSH.m's steps on the given arrays, seeded, saving the codes.
addpath(genpath('./SLEP_package_4.1/SLEP/'));
load(matfile);
rng(seed);
mu = 0.05; rho = 0.5; lambda = 0.2;
I_te = bsxfun(@minus, I_te, mean(I_tr, 1)); I_db = bsxfun(@minus, I_db, mean(I_tr, 1));
I_tr = bsxfun(@minus, I_tr, mean(I_tr, 1));
T_te = bsxfun(@minus, T_te, mean(T_tr, 1)); T_db = bsxfun(@minus, T_db, mean(T_tr, 1));
T_tr = bsxfun(@minus, T_tr, mean(T_tr, 1));
I_temp = I_tr'; T_temp = T_tr';
I_temp = bsxfun(@minus, I_temp, mean(I_temp, 2)); T_temp = bsxfun(@minus, T_temp, mean(T_temp, 2));
Im_te = (bsxfun(@minus, I_te', mean(I_tr', 2)))'; Te_te = (bsxfun(@minus, T_te', mean(T_tr', 2)))';
opts = []; opts.mu = mu; opts.rho = rho; opts.lambda = lambda; opts.maxOutIter = 20; opts.seed = seed;
tic;
[B, PX, PT, R, A, S, opts] = solveLSSH(I_temp', T_temp', bits, opts);
[db, q_img, q_txt] = LSSHcoding(A, B, PX, PT, R, I_db, T_db, Im_te, Te_te, opts, bits);
fprintf('fit and encode %.1f s\n', toc);
db = db' > 0; q_img = q_img' > 0; q_txt = q_txt' > 0;
db_img = db; db_txt = db;
save('-v7', outfile, 'q_img', 'q_txt', 'db_img', 'db_txt');
end
