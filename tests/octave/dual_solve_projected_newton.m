function [lam, f] = dual_solve_projected_newton(SSt, XSt, c, trXXt, lam)
% Minimises fobj_basis_dual (the negated Lagrange dual of the basis update) over
% lam >= 0 by projected Newton (Bertsekas 1982): variables within eps of the bound
% whose gradient pushes them out are stepped by their scaled gradient, the others by
% Newton, with an Armijo search along the projection arc. Atoms no sample uses (an
% all-zero row of S) keep their start, as fmincon's interior iterates leave them;
% lam stays above a tiny floor so that SSt + diag(lam) stays invertible.
unused = diag(SSt) == 0;
lo = 1e-10 * max(diag(SSt));
lam = max(lam(:), lo);
[f, g, H] = fobj_basis_dual(lam, SSt, XSt, [], c, trXXt);
for it = 1:1000
  g = g(:); g(unused) = 0;
  pg = lam - max(lam - g, lo);
  if max(abs(pg)) < 1e-10
    return;
  end
  eps_k = min(1e-3 * max(1, max(lam)), norm(pg));
  active = (lam <= lo + eps_k) & (g > 0) & ~unused;
  free = ~active & ~unused;
  d = zeros(size(lam));
  d(free) = -(H(free, free) \ g(free));
  d(active) = -g(active) ./ max(diag(H)(active), eps);
  step = 1;
  while true
    trial = max(lam + step * d, lo);
    trial(unused) = lam(unused);
    decrease = step * (-g(free)' * d(free)) + g(active)' * (lam(active) - trial(active));
    [ft, gt, Ht] = fobj_basis_dual(trial, SSt, XSt, [], c, trXXt);
    if ft <= f - 1e-4 * decrease || step < 1e-20
      break;
    end
    step = step / 2;
  end
  if step < 1e-20
    fprintf('dual solve: stopped at the round-off floor, projected gradient %g\n', max(abs(pg)));
    return;
  end
  lam = trial; f = ft; g = gt; H = Ht;
end
fprintf('dual solve: 1000 iterations, projected gradient %g\n', max(abs(pg)));
end
