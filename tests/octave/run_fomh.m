function run_fomh(matfile, bits, seed, outfile)
% Drives the official solveFOMH.m as demo_FOMH.m does, on the given arrays.
load(matfile);
rng(seed);
n_anchors = 1000;
param.bits = bits; param.batch = 1000; param.alpha = 1e-5; param.beta = 1e-1;
param.gamma = 1e-3; param.rho = 1e-1;
Ntrain = size(I_tr,1);
sample = randsample(Ntrain, n_anchors);
anchorI = I_tr(sample,:); anchorT = T_tr(sample,:);
sigmaI = 140; sigmaT = 60;
phi = @(X, A, s) [exp(-sqdist(X,A)/(2*s*s)), ones(size(X,1),1)]';
PhiI = phi(I_tr, anchorI, sigmaI); PhiT = phi(T_tr, anchorT, sigmaT);
[W1, W2] = solveFOMH(PhiI, PhiT, L_tr, param, 1);
q_img = sign(W1*phi(I_te, anchorI, sigmaI))' > 0;
q_txt = sign(W2*phi(T_te, anchorT, sigmaT))' > 0;
db_img = sign(W1*phi(I_db, anchorI, sigmaI))' > 0;
db_txt = sign(W2*phi(T_db, anchorT, sigmaT))' > 0;
save('-v7', outfile, 'q_img', 'q_txt', 'db_img', 'db_txt');
end
