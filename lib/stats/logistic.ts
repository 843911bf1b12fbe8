/**
 * L2-regularized logistic regression in plain float64, at the optimum sklearn's
 * LogisticRegression(solver='lbfgs', C, class_weight) converges to:
 *
 *     minimize  C · Σ_i s_i · log(1 + exp(-y_i (x_i·w + b)))  +  ½ ||w||²      (b not penalized)
 *
 * with s_i = 1, or n / (2 n_class(i)) for class_weight 'balanced'. Solved by Newton's method
 * (Cholesky of the (d+1)×(d+1) Hessian, backtracking line search) while d ≤ 1000, else by L-BFGS;
 * both to a gradient norm of ~1e-12 relative. Folds, cross-validated AUROC and the linear probe are in
 * probe.ts.
 */
import { MolabError } from "../errors.ts";
import { checkBinary, type Labels } from "./roc.ts";

/** A row-major n × d matrix. */
export interface Matrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

/** Build a Matrix from an array of rows; every row must have the same length and finite values. */
export function toMatrix(rows: ArrayLike<ArrayLike<number>> | Matrix, name = "X"): Matrix {
  if ((rows as Matrix).data instanceof Float64Array) return rows as Matrix;
  const r = rows as ArrayLike<ArrayLike<number>>;
  if (!r || r.length === 0) throw new MolabError(`${name}: empty matrix`);
  const d = r[0].length;
  const data = new Float64Array(r.length * d);
  for (let i = 0; i < r.length; i++) {
    if (r[i].length !== d) throw new MolabError(`${name}: row ${i} has ${r[i].length} columns, row 0 has ${d}`);
    for (let j = 0; j < d; j++) {
      const v = r[i][j];
      if (!Number.isFinite(v)) throw new MolabError(`${name}[${i}][${j}] = ${v}; only finite numbers are accepted`);
      data[i * d + j] = v;
    }
  }
  return { data, rows: r.length, cols: d };
}

export interface LogisticOptions {
  C?: number;
  classWeight?: "balanced" | null;
  fitIntercept?: boolean;
  tol?: number;
  maxIter?: number;
}

export interface LogisticModel {
  coef: Float64Array;
  intercept: number;
  nIter: number;
  decision(X: Matrix | ArrayLike<ArrayLike<number>>): Float64Array;
  predictProba(X: Matrix | ArrayLike<ArrayLike<number>>): Float64Array;
}

function log1pexp(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}
function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Fit L2 logistic regression (labels 0/1). */
export function fitLogistic(
  Xin: Matrix | ArrayLike<ArrayLike<number>>,
  labels: Labels,
  opts: LogisticOptions = {},
): LogisticModel {
  const X = toMatrix(Xin);
  const { y } = checkBinary(labels, new Float64Array(labels.length));
  if (y.length !== X.rows) throw new MolabError(`X has ${X.rows} rows but labels has ${y.length} entries`);
  const C = opts.C ?? 1.0;
  if (!(C > 0)) throw new MolabError(`C must be positive; got ${C}`);
  const fitIntercept = opts.fitIntercept ?? true;
  const n = X.rows,
    d = X.cols;
  const sw = new Float64Array(n).fill(1);
  if (opts.classWeight === "balanced") {
    let pos = 0;
    for (let i = 0; i < n; i++) pos += y[i];
    const wPos = n / (2 * pos),
      wNeg = n / (2 * (n - pos));
    for (let i = 0; i < n; i++) sw[i] = y[i] ? wPos : wNeg;
  }
  const p = d + (fitIntercept ? 1 : 0);
  const theta = new Float64Array(p);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) ys[i] = y[i] ? 1 : -1;
  const margin = (th: Float64Array, i: number) => {
    let z = fitIntercept ? th[d] : 0;
    const row = i * d;
    for (let j = 0; j < d; j++) z += X.data[row + j] * th[j];
    return z;
  };
  const objective = (th: Float64Array) => {
    let f = 0;
    for (let i = 0; i < n; i++) f += sw[i] * log1pexp(-ys[i] * margin(th, i));
    f *= C;
    for (let j = 0; j < d; j++) f += 0.5 * th[j] * th[j];
    return f;
  };
  const gradient = (th: Float64Array, g: Float64Array, r?: Float64Array) => {
    g.fill(0);
    for (let i = 0; i < n; i++) {
      const z = margin(th, i);
      const s = sigmoid(-ys[i] * z); // d/dz log(1+exp(-y z)) = -y * sigmoid(-y z)
      const coef = -C * sw[i] * ys[i] * s;
      if (r) r[i] = C * sw[i] * s * (1 - s);
      const row = i * d;
      for (let j = 0; j < d; j++) g[j] += coef * X.data[row + j];
      if (fitIntercept) g[d] += coef;
    }
    for (let j = 0; j < d; j++) g[j] += th[j];
  };
  const tol = opts.tol ?? 1e-12;
  const maxIter = opts.maxIter ?? (d <= 1000 ? 200 : 20000);
  const g = new Float64Array(p);
  const norm = (v: Float64Array) => Math.sqrt(v.reduce((a, b) => a + b * b, 0));
  let iter = 0;
  gradient(theta, g);
  const g0 = Math.max(norm(g), 1e-300);
  if (d <= 1000) {
    const r = new Float64Array(n);
    const H = new Float64Array(p * p);
    const step = new Float64Array(p);
    let f = objective(theta);
    for (; iter < maxIter; iter++) {
      gradient(theta, g, r);
      if (norm(g) <= tol * g0 || norm(g) < 1e-14) break;
      H.fill(0);
      for (let i = 0; i < n; i++) {
        const ri = r[i];
        if (ri === 0) continue;
        const row = i * d;
        for (let a = 0; a < p; a++) {
          const xa = a < d ? X.data[row + a] : 1;
          if (xa === 0) continue;
          const rxa = ri * xa;
          for (let b = 0; b <= a; b++) H[a * p + b] += rxa * (b < d ? X.data[row + b] : 1);
        }
      }
      for (let j = 0; j < d; j++) H[j * p + j] += 1;
      for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) H[b * p + a] = H[a * p + b];
      cholSolve(H, g, step, p);
      // backtracking line search on the objective
      let t = 1;
      const trial = new Float64Array(p);
      let fNew = f;
      let slope = 0;
      for (let j = 0; j < p; j++) slope += g[j] * step[j];
      for (let k = 0; k < 60; k++) {
        for (let j = 0; j < p; j++) trial[j] = theta[j] - t * step[j];
        fNew = objective(trial);
        if (fNew <= f - 1e-4 * t * slope || t < 1e-10) break;
        t *= 0.5;
      }
      let maxStep = 0;
      for (let j = 0; j < p; j++) maxStep = Math.max(maxStep, Math.abs(theta[j] - trial[j]));
      theta.set(trial);
      f = fNew;
      if (maxStep < 1e-15) {
        iter++;
        break;
      }
    }
  } else {
    iter = lbfgs(objective, (th, gg) => gradient(th, gg), theta, tol * g0, maxIter);
  }
  const coef = theta.slice(0, d);
  const intercept = fitIntercept ? theta[d] : 0;
  const decision = (Xq: Matrix | ArrayLike<ArrayLike<number>>) => {
    const M = toMatrix(Xq);
    if (M.cols !== d) throw new MolabError(`X has ${M.cols} features; the model was fitted on ${d}`);
    const out = new Float64Array(M.rows);
    for (let i = 0; i < M.rows; i++) {
      let z = intercept;
      for (let j = 0; j < d; j++) z += M.data[i * d + j] * coef[j];
      out[i] = z;
    }
    return out;
  };
  return { coef, intercept, nIter: iter, decision, predictProba: (Xq) => decision(Xq).map(sigmoid) };
}

function cholSolve(A: Float64Array, b: Float64Array, x: Float64Array, p: number): void {
  const L = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * p + j];
      for (let k = 0; k < j; k++) s -= L[i * p + k] * L[j * p + k];
      if (i === j) L[i * p + i] = Math.sqrt(Math.max(s, 1e-300));
      else L[i * p + j] = s / L[j * p + j];
    }
  }
  const z = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * p + k] * z[k];
    z[i] = s / L[i * p + i];
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < p; k++) s -= L[k * p + i] * x[k];
    x[i] = s / L[i * p + i];
  }
}

function lbfgs(
  f: (x: Float64Array) => number,
  grad: (x: Float64Array, g: Float64Array) => void,
  x: Float64Array,
  gtol: number,
  maxIter: number,
): number {
  const p = x.length;
  const m = 20;
  const S: Float64Array[] = [],
    Y: Float64Array[] = [],
    rho: number[] = [];
  const g = new Float64Array(p);
  grad(x, g);
  let fx = f(x);
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let i = 0; i < p; i++) s += a[i] * b[i];
    return s;
  };
  let it = 0;
  for (; it < maxIter; it++) {
    if (Math.sqrt(dot(g, g)) <= gtol) break;
    const q = Float64Array.from(g);
    const alpha: number[] = [];
    for (let k = S.length - 1; k >= 0; k--) {
      alpha[k] = rho[k] * dot(S[k], q);
      for (let i = 0; i < p; i++) q[i] -= alpha[k] * Y[k][i];
    }
    const gamma = S.length
      ? dot(S[S.length - 1], Y[Y.length - 1]) / dot(Y[Y.length - 1], Y[Y.length - 1])
      : 1 / Math.max(Math.sqrt(dot(g, g)), 1);
    for (let i = 0; i < p; i++) q[i] *= gamma;
    for (let k = 0; k < S.length; k++) {
      const beta = rho[k] * dot(Y[k], q);
      for (let i = 0; i < p; i++) q[i] += S[k][i] * (alpha[k] - beta);
    }
    const slope = dot(g, q);
    let t = 1;
    const xn = new Float64Array(p);
    let fn = fx;
    for (let k = 0; k < 60; k++) {
      for (let i = 0; i < p; i++) xn[i] = x[i] - t * q[i];
      fn = f(xn);
      if (fn <= fx - 1e-4 * t * slope) break;
      t *= 0.5;
    }
    const gn = new Float64Array(p);
    grad(xn, gn);
    const s = new Float64Array(p),
      yv = new Float64Array(p);
    for (let i = 0; i < p; i++) {
      s[i] = xn[i] - x[i];
      yv[i] = gn[i] - g[i];
    }
    const sy = dot(s, yv);
    if (sy > 1e-300) {
      S.push(s);
      Y.push(yv);
      rho.push(1 / sy);
      if (S.length > m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
    }
    const moved = Math.sqrt(dot(s, s));
    x.set(xn);
    g.set(gn);
    fx = fn;
    if (moved < 1e-16) break;
  }
  return it;
}
