/**
 * The normal distribution's special functions in float64, as scipy.special gives them: erf, erfc, ndtr and ndtri
 * follow the Cephes algorithms that scipy uses (through its xsf library), coefficient for coefficient, so results
 * agree to the last bit or two. The gamma and beta functions are in special.ts.
 */

const SQRT1_2 = Math.SQRT1_2;
export const MAXLOG = 7.09782712893383996843e2;
export const SQRT2PI = 2.506628274631000502415765284811045253007;

/** Cephes polevl: c[0]*x^N + … + c[N]. */
export function polevl(x: number, c: readonly number[], n: number): number {
  let ans = c[0];
  for (let i = 1; i <= n; i++) ans = ans * x + c[i];
  return ans;
}
/** Cephes p1evl: polynomial with an implicit leading coefficient 1. */
export function p1evl(x: number, c: readonly number[], n: number): number {
  let ans = x + c[0];
  for (let i = 1; i < n; i++) ans = ans * x + c[i];
  return ans;
}

const ndtrP = [
  2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687, 4.86371970985681366614e1,
  1.96520832956077098242e2, 5.26445194995477358631e2, 9.3452852717195760754e2, 1.02755188689515710272e3,
  5.57535335369399327526e2,
];
const ndtrQ = [
  1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2, 9.75708501743205489753e2,
  1.82390916687909736289e3, 2.24633760818710981792e3, 1.65666309194161350182e3, 5.57535340817727675546e2,
];
const ndtrR = [
  5.64189583547755073984e-1, 1.27536670759978104416, 5.01905042251180477414, 6.16021097993053585195,
  7.4097426995044893916, 2.9788666537210024067,
];
const ndtrS = [
  2.2605286322011727659, 9.39603524938001434673, 1.20489539808096656605e1, 1.70814450747565897222e1,
  9.60896809063285878198, 3.3690764510008151605,
];
const ndtrT = [
  9.60497373987051638749, 9.00260197203842689217e1, 2.23200534594684319226e3, 7.00332514112805075473e3,
  5.55923013010394962768e4,
];
const ndtrU = [
  3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3, 2.26290000613890934246e4,
  4.92673942608635921086e4,
];

export function erfc(a: number): number {
  if (Number.isNaN(a)) return NaN;
  const x = Math.abs(a);
  if (x < 1.0) return 1.0 - erf(a);
  let z = -a * a;
  if (z < -MAXLOG) return a < 0 ? 2.0 : 0.0;
  z = Math.exp(z);
  let p: number, q: number;
  if (x < 8.0) {
    p = polevl(x, ndtrP, 8);
    q = p1evl(x, ndtrQ, 8);
  } else {
    p = polevl(x, ndtrR, 5);
    q = p1evl(x, ndtrS, 6);
  }
  let y = (z * p) / q;
  if (a < 0) y = 2.0 - y;
  if (y !== 0.0) return y;
  return a < 0 ? 2.0 : 0.0;
}

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0.0) return -erf(-x);
  if (Math.abs(x) > 1.0) return 1.0 - erfc(x);
  const z = x * x;
  return (x * polevl(z, ndtrT, 4)) / p1evl(z, ndtrU, 5);
}

/** Standard normal CDF (scipy.special.ndtr). */
export function ndtr(a: number): number {
  if (Number.isNaN(a)) return NaN;
  const x = a * SQRT1_2;
  const z = Math.abs(x);
  if (z < 1.0) return 0.5 + 0.5 * erf(x);
  let y = 0.5 * erfc(z);
  if (x > 0) y = 1.0 - y;
  return y;
}

const ndtriP0 = [
  -5.99633501014107895267e1, 9.80010754185999661536e1, -5.66762857469070293439e1, 1.39312609387279679503e1,
  -1.23916583867381258016,
];
const ndtriQ0 = [
  1.95448858338141759834, 4.67627912898881538453, 8.63602421390890590575e1, -2.25462687854119370527e2,
  2.00260212380060660359e2, -8.20372256168333339912e1, 1.59056225126211695515e1, -1.18331621121330003142,
];
const ndtriP1 = [
  4.05544892305962419923, 3.15251094599893866154e1, 5.71628192246421288162e1, 4.408050738932008347e1,
  1.46849561928858024014e1, 2.18663306850790267539, -1.40256079171354495875e-1, -3.50424626827848203418e-2,
  -8.57456785154685413611e-4,
];
const ndtriQ1 = [
  1.57799883256466749731e1, 4.53907635128879210584e1, 4.1317203825467203044e1, 1.50425385692907503408e1,
  2.50464946208309415979, -1.42182922854787788574e-1, -3.80806407691578277194e-2, -9.33259480895457427372e-4,
];
const ndtriP2 = [
  3.2377489177694603597, 6.91522889068984211695, 3.93881025292474443415, 1.33303460815807542389,
  2.01485389549179081538e-1, 1.23716634817820021358e-2, 3.01581553508235416007e-4, 2.65806974686737550832e-6,
  6.2397453918498329373e-9,
];
const ndtriQ2 = [
  6.02427039364742014255, 3.67983563856160859403, 1.37702099489081330271, 2.1623699359449663589e-1,
  1.34204006088543189037e-2, 3.28014464682127739104e-4, 2.89247864745380683936e-6, 6.79019408009981274425e-9,
];

/** Inverse of the standard normal CDF (scipy.special.ndtri). */
export function ndtri(y0: number): number {
  if (y0 === 0.0) return -Infinity;
  if (y0 === 1.0) return Infinity;
  if (!(y0 >= 0.0 && y0 <= 1.0)) return NaN;
  let code = 1;
  let y = y0;
  if (y > 1.0 - 0.13533528323661269189) {
    y = 1.0 - y;
    code = 0;
  }
  if (y > 0.13533528323661269189) {
    y = y - 0.5;
    const y2 = y * y;
    let x = y + y * ((y2 * polevl(y2, ndtriP0, 4)) / p1evl(y2, ndtriQ0, 8));
    x = x * SQRT2PI;
    return x;
  }
  let x = Math.sqrt(-2.0 * Math.log(y));
  const x0 = x - Math.log(x) / x;
  const z = 1.0 / x;
  const x1 =
    x < 8.0 ? (z * polevl(z, ndtriP1, 8)) / p1evl(z, ndtriQ1, 8) : (z * polevl(z, ndtriP2, 8)) / p1evl(z, ndtriQ2, 8);
  x = x0 - x1;
  if (code !== 0) x = -x;
  return x;
}
