"""Objectives with analytic gradients: the landscapes every lecture trains on.

Every problem knows

    name, dim            what it is, and how many numbers a point has
    start                a default starting point, shape (dim,)
    minimum, min_loss    where the minimum is and its loss (None where not known)
    bounds               ((x_lo, x_hi), (y_lo, y_hi)) for contour plots of 2-D problems, else None
    loss(params)         shape params.shape[:-1]
    grad(params)         shape params.shape

``params`` is ONE float array whose last axis has length ``dim``; its leading axes are independent
runs. ``params`` of shape (256, 2) are 256 points of a 2-D problem, evaluated in one computation:
that is how a whole learning-rate sweep runs at once.

Stochastic problems say how their gradients are random:

- ``noisy_quadratic``: ``grad(params, rng)`` adds Gaussian noise drawn from ``rng``.
- ``linear_regression``, ``logistic_regression``, ``digits_mlp``: the loss is a mean over
  ``n_train`` examples; ``grad(params, batch=indices)`` uses only the examples ``indices``
  (``batch=None`` means all of them). ``lrcourse.train.run`` draws the mini-batches: epochs
  without replacement, each a fresh shuffle from a seeded rng (see ``train.minibatches``).

``loss_and_grad(params, batch=None, rng=None)`` returns both from one pass (the MLP shares its
forward pass); ``evaluate(params)`` returns the metrics ``run(..., eval_every=...)`` records.
"""

from pathlib import Path

import numpy as np

from lrcourse import _validate as v

__all__ = [
    "Problem",
    "Quadratic",
    "quadratic",
    "NoisyQuadratic",
    "noisy_quadratic",
    "Rosenbrock",
    "rosenbrock",
    "Beale",
    "beale",
    "Himmelblau",
    "himmelblau",
    "Saddle",
    "saddle",
    "LinearRegression",
    "linear_regression",
    "LogisticRegression",
    "logistic_regression",
    "load_digits",
    "DigitsMLP",
    "digits_mlp",
    "sharpness",
    "noise_scale_of",
    "BowlWithDip",
    "bowl_with_dip",
    "SteepBowl",
    "steep_bowl",
    "CommonNoiseQuadratic",
    "common_noise_quadratic",
    "gradient_streams",
    "SparseRegression",
    "sparse_regression",
    "TiltedDoubleWell",
    "HeldOut",
    "Scaled",
    "counterexample_gradients",
]


class Problem:
    """What every problem shares; subclasses set the attributes and write ``loss`` and ``grad``.

    A problem of your own, f(x) = 1/2 x^2 in 1-D, evaluated at two points at once:

    >>> class Parabola(Problem):
    ...     name, dim, start, minimum, min_loss = "parabola", 1, np.array([2.0]), np.zeros(1), 0.0
    ...     def loss(self, params):
    ...         return 0.5 * self._params(params)[..., 0] ** 2
    ...     def grad(self, params):
    ...         return self._params(params)
    >>> Parabola().loss_and_grad(np.array([[1.0], [3.0]]))
    (array([0.5, 4.5]), array([[1.],
           [3.]]))
    """

    name = "problem"
    dim = None
    start = None
    minimum = None
    min_loss = None
    bounds = None
    n_train = None  # mini-batch problems: the number of training examples ...
    batch_size = None  # ... and how many of them one gradient uses (None: all)

    def _params(self, params):
        """``params`` as a float array whose last axis has length ``dim`` (or a clear error)."""
        params = np.asarray(params, dtype=float)
        if params.ndim == 0 or params.shape[-1] != self.dim:
            raise ValueError(
                f"params must have a last axis of length {self.dim} ({self.name} has "
                f"dim={self.dim}), got shape {params.shape}"
            )
        return params

    def loss_and_grad(self, params, batch=None, rng=None):
        """``(loss(params), grad(params))``; deterministic problems ignore ``batch`` and ``rng``."""
        return self.loss(params), self.grad(params)

    def evaluate(self, params):
        """The metrics recorded every ``eval_every`` steps by ``train.run``: here the loss."""
        return {"loss": self.loss(params)}

    @property
    def steps_per_epoch(self):
        """Mini-batches in one pass over the training set (the last one may be smaller)."""
        if self.n_train is None:
            return None
        return -(-self.n_train // (self.batch_size or self.n_train))  # ceil division

    def __repr__(self):
        minimum = None if self.minimum is None else np.round(self.minimum, 4).tolist()
        return f"<{self.name}: dim={self.dim}, minimum={minimum}, min_loss={self.min_loss}>"


def _window(minimum, start):
    """Plotting bounds for a 2-D problem: a square around the minimum that holds the start."""
    r = 1.25 * max(np.abs(start - minimum).max(), 1.0)
    return tuple((float(c - r), float(c + r)) for c in minimum)


def _xy(params):
    """The two coordinates of 2-D points, each of shape params.shape[:-1]."""
    return params[..., 0], params[..., 1]


# --- quadratics --------------------------------------------------------------------------------


class Quadratic(Problem):
    """f(x) = 1/2 (x - x*)^T H (x - x*),   grad f(x) = H (x - x*),   H symmetric positive definite.

    The model of every smooth minimum: near any minimum a loss looks like this, with H its
    Hessian. Gradient descent multiplies the error along each eigenvector of H by (1 - lr * lambda),
    so it converges exactly when lr < 2 / L (L the largest eigenvalue), and the condition number
    kappa = L / mu says how much slower the flattest direction is.

    >>> q = Quadratic(np.diag([1.0, 4.0]))
    >>> q.L, q.mu, q.condition
    (4.0, 1.0, 4.0)
    >>> q.grad(np.array([[1.0, 1.0], [2.0, 0.0]]))    # two points at once
    array([[1., 4.],
           [2., 0.]])
    """

    def __init__(self, hessian, center=None, start=None, name="quadratic", eigenvalues=None):
        hessian = v.as_float_array("hessian", hessian)
        if hessian.ndim != 2 or hessian.shape[0] != hessian.shape[1]:
            raise ValueError(f"hessian must be a square matrix, got shape {hessian.shape}")
        if not np.allclose(hessian, hessian.T):
            raise ValueError("hessian must be symmetric")
        self.name = name
        self.dim = len(hessian)
        self.hessian = hessian
        # Ascending. The factories pass the eigenvalues they built H from, exactly; eigvalsh of a
        # rotated H would be off in the 15th digit.
        self.eigenvalues = np.sort(
            eigenvalues if eigenvalues is not None else np.linalg.eigvalsh(hessian)
        )
        if self.eigenvalues[0] <= 0:
            raise ValueError(
                f"hessian must be positive definite, got eigenvalues {self.eigenvalues.tolist()}"
            )
        self.L = float(self.eigenvalues[-1])  # the largest curvature sets the stable lr
        self.mu = float(self.eigenvalues[0])  # the smallest sets how slowly the last bit goes
        self.condition = self.L / self.mu
        self.minimum = np.zeros(self.dim) if center is None else self._params(center).copy()
        self.min_loss = 0.0
        if start is None:
            # Off both eigen-axes in 2-D, so ill-conditioning shows as a zig-zag.
            offset = np.array([-2.0, 1.5]) if self.dim == 2 else np.ones(self.dim)
            start = self.minimum + offset
        self.start = self._params(start).copy()
        if self.dim == 2:
            self.bounds = _window(self.minimum, self.start)

    def loss(self, params):
        d = self._params(params) - self.minimum
        return 0.5 * np.sum(d * (d @ self.hessian), axis=-1)  # H is symmetric: d @ H = (H d)^T

    def grad(self, params):
        return (self._params(params) - self.minimum) @ self.hessian

    def hvp(self, params, vectors, batch=None):
        """H v, the same at every point: ``vectors`` of shape (..., dim)."""
        hv = self._params(vectors) @ self.hessian
        return np.broadcast_to(hv, np.broadcast_shapes(self._params(params).shape, hv.shape))


def _rotated_hessian(curvatures, condition, angle):
    """(H, eigenvalues), H = R diag(eigenvalues) R^T with its axes turned by ``angle`` in 2-D."""
    if curvatures is not None and condition is not None:
        raise ValueError("give curvatures or condition, not both")
    if curvatures is None:
        condition = 10.0 if condition is None else float(v.positive("condition", condition))
        if condition < 1:
            raise ValueError(f"condition must be >= 1, got {condition!r}")
        curvatures = [1.0, condition]
    eigenvalues = np.atleast_1d(v.positive("curvatures", curvatures))
    if eigenvalues.ndim != 1:
        raise ValueError(f"curvatures must be a list of numbers, got shape {eigenvalues.shape}")
    angle = float(v.as_float_array("angle", angle))
    if angle != 0 and len(eigenvalues) != 2:
        raise ValueError(f"angle rotates a 2-D quadratic, got {len(eigenvalues)} curvatures")
    hessian = np.diag(eigenvalues)
    if angle != 0:
        c, s = np.cos(angle), np.sin(angle)
        rotation = np.array([[c, -s], [s, c]])  # its columns are the new eigenvectors
        hessian = rotation @ hessian @ rotation.T
        hessian = (hessian + hessian.T) / 2  # exactly symmetric despite rounding
    return hessian, eigenvalues


def quadratic(curvatures=None, condition=None, angle=0.0, center=None, start=None):
    """A quadratic bowl with chosen curvatures: f(x) = 1/2 (x - x*)^T H (x - x*).

    H has eigenvalues ``curvatures`` (any dimension), or 1 and ``condition`` (2-D; the default is
    condition 10). ``angle`` (radians, 2-D only) turns the eigenvectors away from the axes: a
    rotation changes nothing for gradient descent but matters for per-coordinate methods (Adam).
    ``center`` is the minimum x* (default 0).

    >>> q = quadratic(condition=100.0, angle=np.pi / 4)
    >>> q.L, q.mu, q.condition
    (100.0, 1.0, 100.0)
    >>> float(q.loss(q.minimum)), q.dim
    (0.0, 2)
    """
    hessian, eigenvalues = _rotated_hessian(curvatures, condition, angle)
    return Quadratic(hessian, center, start, eigenvalues=eigenvalues)


class NoisyQuadratic(Quadratic):
    """A quadratic whose gradient carries Gaussian noise: g = H (x - x*) + sigma * xi, xi ~ N(0, I).

    The model of stochastic gradients. With a constant rate the iterates never settle: they
    jitter around x* at a "noise floor" that only a smaller rate lowers. The floor, in 1-D with
    f = 1/2 L x^2 (each eigen-direction of H behaves like this, independently):

        x_{k+1} = x_k - lr (L x_k + sigma xi_k) = (1 - lr L) x_k - lr sigma xi_k
        v = E[x^2] is stationary when  v = (1 - lr L)^2 v + lr^2 sigma^2
                                   so  v = lr^2 sigma^2 / (1 - (1 - lr L)^2)
                                         = lr sigma^2 / (L (2 - lr L))
        E[f] = L v / 2 = lr sigma^2 / (2 (2 - lr L))            (needs 0 < lr < 2 / L)

    For small lr the floor is about lr sigma^2 / 4 per coordinate: halve the rate, halve the
    floor. ``noise_floor(lr)`` sums this over the eigenvalues of H.
    ``loss`` is the exact f (what we want to measure); only the gradient is noisy. Without an rng
    ``grad`` returns the exact gradient.

    >>> q = noisy_quadratic(curvatures=[1.0], sigma=1.0)
    >>> round(float(q.noise_floor(0.1)), 6)   # 0.1 / (2 * 1.9)
    0.026316
    >>> q.grad(np.array([2.0]))            # no rng: the exact gradient
    array([2.])
    >>> q.grad(np.array([2.0]), rng=np.random.default_rng(0)).round(3)
    array([2.126])
    """

    def __init__(self, hessian, sigma=1.0, center=None, start=None, eigenvalues=None):
        super().__init__(hessian, center, start, "noisy quadratic", eigenvalues)
        self.sigma = float(v.non_negative("sigma", sigma))

    def grad(self, params, rng=None):
        exact = super().grad(params)
        if rng is None:
            return exact
        # Independent noise for every coordinate of every run in a batch.
        return exact + self.sigma * rng.standard_normal(exact.shape)

    def loss_and_grad(self, params, batch=None, rng=None):
        return self.loss(params), self.grad(params, rng)

    def noise_floor(self, lr):
        """The stationary E[f] of constant-rate SGD: sum over eigenvalues of
        lr sigma^2 / (2 (2 - lr lambda)); inf where lr >= 2 / L (no stationary state)."""
        lr = np.asarray(v.positive("lr", lr))[..., None]  # broadcast against the eigenvalues
        lam = self.eigenvalues
        stable = lr * lam < 2
        per_direction = lr * self.sigma**2 / (2 * np.where(stable, 2 - lr * lam, 1.0))
        return np.where(stable.all(-1), per_direction.sum(-1), np.inf)


def noisy_quadratic(curvatures=None, condition=None, angle=0.0, sigma=1.0, center=None, start=None):
    """A quadratic (as ``quadratic``) with gradient noise of standard deviation ``sigma``.

    >>> q = noisy_quadratic(curvatures=[1.0, 1.0], sigma=2.0)
    >>> round(float(q.noise_floor(0.1)), 6)    # 2 directions * 0.1 * 2**2 / (2 * 1.9)
    0.210526
    """
    hessian, eigenvalues = _rotated_hessian(curvatures, condition, angle)
    return NoisyQuadratic(hessian, sigma, center, start, eigenvalues)


# --- classic 2-D landscapes --------------------------------------------------------------------


class Rosenbrock(Problem):
    """Rosenbrock's banana: f(x, y) = (a - x)^2 + b (y - x^2)^2, minimum 0 at (a, a^2).

    grad f = (-2 (a - x) - 4 b x (y - x^2),  2 b (y - x^2))

    A curved, flat-bottomed valley: finding the valley is easy, following it to the minimum is
    slow. Across the valley the curvature is about 2 b (1 + 4 x^2), some 1000 near the minimum,
    so a rate large enough to travel along the floor makes the iterates bounce off the walls.
    Rosenbrock (1960).

    >>> r = Rosenbrock()
    >>> float(r.loss(r.minimum)), r.grad(np.array([0.0, 1.0]))
    (0.0, array([ -2., 200.]))
    """

    name = "Rosenbrock"
    dim = 2

    def __init__(self, a=1.0, b=100.0):
        self.a = float(v.as_float_array("a", a))
        self.b = float(v.positive("b", b))
        self.start = np.array([-1.2, 1.0])  # Rosenbrock's own starting point
        self.minimum = np.array([self.a, self.a**2])
        self.min_loss = 0.0
        x_max = max(2.0, abs(self.a) + 1)
        self.bounds = ((-x_max, x_max), (-1.0, max(3.0, self.a**2 + 1)))

    def loss(self, params):
        x, y = _xy(self._params(params))
        return (self.a - x) ** 2 + self.b * (y - x**2) ** 2

    def grad(self, params):
        x, y = _xy(self._params(params))
        dx = -2 * (self.a - x) - 4 * self.b * x * (y - x**2)
        dy = 2 * self.b * (y - x**2)
        return np.stack([dx, dy], axis=-1)


class Beale(Problem):
    """Beale's function: f(x, y) = sum_i (c_i - x + x y^i)^2, c = (1.5, 2.25, 2.625); minimum 0 at
    (3, 0.5).

    grad f = sum_i 2 r_i (-1 + y^i,  i x y^(i-1)),   r_i = c_i - x + x y^i

    Flat plateaus next to very steep walls (y^3 grows fast): one rate cannot suit both, which is
    what per-coordinate, adaptive rates are for. Beale (1958).

    >>> b = Beale()
    >>> float(b.loss(b.minimum)), b.grad(b.minimum)
    (0.0, array([0., 0.]))
    """

    name = "Beale"
    dim = 2
    c = np.array([1.5, 2.25, 2.625])

    def __init__(self):
        self.start = np.array([1.0, 1.5])
        self.minimum = np.array([3.0, 0.5])
        self.min_loss = 0.0
        self.bounds = ((-4.5, 4.5), (-4.5, 4.5))

    def _residuals(self, params):
        x, y = _xy(self._params(params))
        i = np.arange(1, 4)
        y_i = y[..., None] ** i  # y, y^2, y^3 along a new last axis
        return x[..., None], y[..., None], i, self.c - x[..., None] + x[..., None] * y_i

    def loss(self, params):
        *_, r = self._residuals(params)
        return np.sum(r**2, axis=-1)

    def grad(self, params):
        x, y, i, r = self._residuals(params)
        dx = np.sum(2 * r * (y**i - 1), axis=-1)
        dy = np.sum(2 * r * i * x * y ** (i - 1), axis=-1)
        return np.stack([dx, dy], axis=-1)


class Himmelblau(Problem):
    """Himmelblau's function: f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2, four minima of loss 0.

    grad f = (4 x u + 2 v,  2 u + 4 y v),   u = x^2 + y - 11,  v = x + y^2 - 7

    Minima at (3, 2), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126), and a
    local maximum at (-0.270845, -0.923039): which minimum a run ends in depends on the optimizer
    and its rate, not only on the start. ``minimum`` is (3, 2); ``minima`` lists all four.
    Himmelblau (1972).

    >>> h = Himmelblau()
    >>> h.loss(h.minima).round(10)
    array([0., 0., 0., 0.])
    """

    name = "Himmelblau"
    dim = 2
    minima = np.array(
        [[3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848126]]
    )

    def __init__(self):
        self.start = np.array([-0.5, 0.0])  # near the top, so every optimizer picks a basin
        self.minimum = self.minima[0]
        self.min_loss = 0.0
        self.bounds = ((-5.0, 5.0), (-5.0, 5.0))

    def loss(self, params):
        x, y = _xy(self._params(params))
        return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2

    def grad(self, params):
        x, y = _xy(self._params(params))
        u, v_ = x**2 + y - 11, x + y**2 - 7
        return np.stack([4 * x * u + 2 * v_, 2 * u + 4 * y * v_], axis=-1)


class Saddle(Problem):
    """A saddle between two valleys: f(x, y) = (x^2 - y^2) / 2 + y^4 / 4.

    grad f = (x,  -y + y^3)

    At the origin the gradient vanishes, but it is a saddle (curvatures +1 and -1), not a minimum;
    the minima are (0, 1) and (0, -1), loss -1/4. Started near the ridge, plain gradient descent
    creeps away from the saddle at rate (1 + lr) per step; momentum leaves sooner. ``minimum``
    is (0, 1), the one the default start (y > 0) rolls into.

    >>> s = Saddle()
    >>> float(s.loss(s.minimum)), s.grad(np.array([0.5, 0.5]))
    (-0.25, array([ 0.5  , -0.375]))
    """

    name = "saddle"
    dim = 2

    def __init__(self):
        self.start = np.array([1.0, 1e-3])  # almost on the ridge y = 0
        self.minimum = np.array([0.0, 1.0])
        self.min_loss = -0.25
        self.bounds = ((-1.5, 1.5), (-1.5, 1.5))

    def loss(self, params):
        x, y = _xy(self._params(params))
        return (x**2 - y**2) / 2 + y**4 / 4

    def grad(self, params):
        x, y = _xy(self._params(params))
        return np.stack([x, -y + y**3], axis=-1)


# Lower-case names, like the optimizers and schedules: ``problems.rosenbrock()``.
rosenbrock, beale, himmelblau, saddle = Rosenbrock, Beale, Himmelblau, Saddle


# --- regression on mini-batches ----------------------------------------------------------------


class _MiniBatchProblem(Problem):
    """A loss that is a mean over training examples; ``batch`` selects some of them."""

    def _data(self, batch):
        """The examples in ``batch`` (an index array; None: the whole training set)."""
        if batch is None:
            return self.x, self.y
        return self.x[batch], self.y[batch]

    def loss_and_grad(self, params, batch=None, rng=None):
        return self.loss(params, batch), self.grad(params, batch)


def _batch_size(batch_size, n_train):
    if batch_size is None:
        return None
    return min(v.positive_int("batch_size", batch_size), n_train)


class LinearRegression(_MiniBatchProblem):
    """Least squares: f(w) = 1/(2n) sum_i (x_i . w - y_i)^2 over the n examples used.

    grad f = 1/n sum_i (x_i . w - y_i) x_i = X^T (X w - y) / n
    Hessian = X^T X / n (on the full data): ``L``, ``mu`` and ``condition`` are its extremes.

    The data: x_i ~ N(0, I) scaled per feature by ``feature_scales`` (unequal scales make the
    problem ill-conditioned), y_i = x_i . w_true + N(0, noise^2), w_true a random direction of
    length 2. ``minimum`` is the least-squares solution on the training set.

    >>> p = linear_regression(dim=2, feature_scales=[1.0, 3.0])
    >>> round(p.condition, 1), p.n_train, p.batch_size
    (8.6, 500, 10)
    >>> bool(np.allclose(p.grad(p.minimum), 0))
    True
    """

    name = "linear regression"

    def __init__(self, n_train=500, dim=2, batch_size=10, noise=0.5, feature_scales=None, seed=0):
        rng = np.random.default_rng(v.positive_int("seed", seed, minimum=0))
        self.n_train = v.positive_int("n_train", n_train)
        self.dim = v.positive_int("dim", dim)
        self.batch_size = _batch_size(batch_size, self.n_train)
        scales = np.ones(self.dim) if feature_scales is None else feature_scales
        scales = v.positive("feature_scales", scales) * np.ones(self.dim)
        direction = rng.standard_normal(self.dim)
        self.w_true = 2 * direction / np.linalg.norm(direction)  # 2 away from the start, 0
        self.x = rng.standard_normal((self.n_train, self.dim)) * scales
        noise = float(v.non_negative("noise", noise))
        self.y = self.x @ self.w_true + noise * rng.standard_normal(self.n_train)
        self.hessian = self.x.T @ self.x / self.n_train
        eigenvalues = np.linalg.eigvalsh(self.hessian)
        self.L, self.mu = float(eigenvalues[-1]), float(eigenvalues[0])
        self.condition = self.L / self.mu
        self.minimum = np.linalg.lstsq(self.x, self.y, rcond=None)[0]
        self.min_loss = float(self.loss(self.minimum))
        self.start = np.zeros(self.dim)
        if self.dim == 2:
            self.bounds = _window(self.minimum, self.start)

    def loss(self, params, batch=None):
        x, y = self._data(batch)
        residual = self._params(params) @ x.T - y  # (..., n): every run against every example
        return 0.5 * np.mean(residual**2, axis=-1)

    def grad(self, params, batch=None):
        x, y = self._data(batch)
        residual = self._params(params) @ x.T - y
        return residual @ x / len(y)


def _log1p_exp(z):
    """log(1 + e^z), computed without overflow for large z (np.logaddexp is exact here)."""
    return np.logaddexp(0.0, z)


def _sigmoid(z):
    """1 / (1 + e^-z) = exp(-log(1 + e^-z)), which never overflows."""
    return np.exp(-_log1p_exp(-z))


class LogisticRegression(_MiniBatchProblem):
    """Logistic regression: f(w) = 1/n sum_i log(1 + exp(-s_i x_i . w)), labels s_i in {-1, +1}.

    grad f = -1/n sum_i sigmoid(-s_i x_i . w) s_i x_i

    The data: x_i ~ N(0, I); P(s_i = +1) = sigmoid(x_i . w_true), w_true a random direction of
    length 3, so the classes overlap and the minimum is finite. It has no closed form: ``minimum``
    is found once by Newton's method (w <- w - H^-1 grad, H = 1/n sum_i p_i (1 - p_i) x_i x_i^T),
    which converges in a few steps.

    >>> p = logistic_regression()
    >>> bool(np.abs(p.grad(p.minimum)).max() < 1e-10), round(float(p.accuracy(p.minimum)), 2)
    (True, 0.8)
    """

    name = "logistic regression"

    def __init__(self, n_train=500, dim=2, batch_size=10, seed=0):
        rng = np.random.default_rng(v.positive_int("seed", seed, minimum=0))
        self.n_train = v.positive_int("n_train", n_train)
        self.dim = v.positive_int("dim", dim)
        self.batch_size = _batch_size(batch_size, self.n_train)
        direction = rng.standard_normal(self.dim)
        self.w_true = 3 * direction / np.linalg.norm(direction)  # |w_true| = 3: classes overlap
        self.x = rng.standard_normal((self.n_train, self.dim))
        p_plus = _sigmoid(self.x @ self.w_true)
        self.y = np.where(rng.uniform(size=self.n_train) < p_plus, 1.0, -1.0)
        self.start = np.zeros(self.dim)
        self.minimum = self._newton(self.start)
        self.min_loss = float(self.loss(self.minimum))
        if self.dim == 2:
            self.bounds = _window(self.minimum, self.start)

    def _newton(self, w, steps=50):
        for _ in range(steps):
            p = _sigmoid(self.x @ w)
            hessian = (self.x.T * (p * (1 - p))) @ self.x / self.n_train
            try:
                step = np.linalg.solve(hessian, self.grad(w))
            except np.linalg.LinAlgError:  # a flat direction: the loss keeps falling along it
                break
            w = w - step
            # Converged: Newton's steps shrink quadratically. On separable data they never do,
            # since the loss keeps falling as w grows (the gradient vanishes only at infinity).
            if np.abs(step).max() < 1e-10 * (1 + np.abs(w).max()):
                return w
        raise ValueError(
            "these data are (nearly) separable, so the loss has no finite minimum: "
            "use more examples (n_train) or fewer features (dim)"
        )

    def loss(self, params, batch=None):
        x, y = self._data(batch)
        margins = y * (self._params(params) @ x.T)
        return np.mean(_log1p_exp(-margins), axis=-1)

    def grad(self, params, batch=None):
        x, y = self._data(batch)
        margins = y * (self._params(params) @ x.T)
        return -(_sigmoid(-margins) * y) @ x / len(y)

    def accuracy(self, params):
        """The fraction of training examples on the right side: sign(x . w) = s."""
        return np.mean(np.sign(self._params(params) @ self.x.T) == self.y, axis=-1)

    def evaluate(self, params):
        return {"loss": self.loss(params), "accuracy": self.accuracy(params)}


linear_regression, logistic_regression = LinearRegression, LogisticRegression


# --- a small neural network on real data -------------------------------------------------------

DATA = Path(__file__).with_name("data") / "digits.npz"


def load_digits():
    """The 1,797 8x8 handwritten digits shipped in ``lrcourse/data`` (see its README and LICENSE).

    Returns ``(images, labels)``: uint8 arrays of shape (1797, 8, 8), pixels 0..16, and (1797,),
    digits 0..9. Alpaydin and Kaynak (1998), UCI Machine Learning Repository, CC BY 4.0.

    >>> images, labels = load_digits()
    >>> images.shape, labels[:10].tolist()
    ((1797, 8, 8), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    """
    with np.load(DATA) as data:
        return data["images"], data["labels"]


class DigitsMLP(Problem):
    """A multilayer perceptron classifying 8x8 digits, with backpropagation written out.

    Forward, for a batch X of B images (pixels / 16, in [0, 1]):

        a_0 = X,   a_l = act(a_{l-1} W_l + b_l)   (hidden layers, act = tanh or relu)
        z   = a_{last} W_out + b_out              (logits, 10 per image)
        f   = 1/B sum_i [log sum_c exp(z_ic) - z_i,label_i]      (softmax cross-entropy)
        f   = 1/B sum_i 1/2 |z_i - onehot(label_i)|^2   (criterion="squared_error", lecture 14)

    Backward (the chain rule, layer by layer from the top):

        dz   = (softmax(z) - onehot(labels)) / B      (squared error: (z - onehot(labels)) / B)
        dW_l = a_{l-1}^T delta_l,   db_l = sum_i delta_l,i     (delta_out = dz)
        delta_{l-1} = (delta_l W_l^T) * act'(a_{l-1})          (tanh' = 1 - a^2; relu' = [a > 0])

    The parameters are ONE flat vector [W_1, b_1, W_2, b_2, ...] (each W row-major, shape
    (fan_in, fan_out)) so that every optimizer sees a single array; ``layers(params)`` cuts it into
    views. Leading axes are independent networks: params of shape (R, dim) train R networks in one
    batched matrix product, all on the same mini-batches. The data are split once, by a fixed
    seed: 1,197 training, 300 validation and 300 test images. ``start`` is PyTorch's default
    initialisation of ``nn.Linear`` (W and b uniform in +-1/sqrt(fan_in)), drawn from ``seed``.
    ``hvp(params, vectors)`` multiplies by the Hessian of the loss, exactly (lecture 14).

    >>> mlp = digits_mlp(hidden=32)
    >>> mlp.dim, mlp.n_train, mlp.steps_per_epoch
    (2410, 1197, 38)
    >>> [w.shape for w, b in mlp.layers(mlp.start)]
    [(64, 32), (32, 10)]
    >>> round(float(mlp.loss(mlp.start)), 2), round(float(mlp.accuracy(mlp.start, "test")), 2)
    (2.3, 0.16)
    """

    name = "digits MLP"
    split_seed = 0  # fixed: every run of the course sees the same split
    n_val = 300
    n_test = 300

    def __init__(
        self, hidden=32, activation="tanh", batch_size=32, seed=0, criterion="cross_entropy"
    ):
        hidden = (hidden,) if np.ndim(hidden) == 0 else tuple(hidden)
        hidden = tuple(v.positive_int("hidden", h) for h in hidden)
        self.activation = v.one_of("activation", activation, ("tanh", "relu"))
        self.criterion = v.one_of("criterion", criterion, ("cross_entropy", "squared_error"))
        self.sizes = (64, *hidden, 10)
        self.dim = sum(m * n + n for m, n in zip(self.sizes[:-1], self.sizes[1:]))

        images, labels = load_digits()
        x = images.reshape(len(images), 64) / 16.0  # pixels 0..16 -> [0, 1]
        onehot = np.eye(10)[labels]
        order = np.random.default_rng(self.split_seed).permutation(len(labels))
        test, val, train = np.split(order, [self.n_test, self.n_test + self.n_val])
        self.indices = {"train": train, "val": val, "test": test}  # rows of load_digits()
        self.splits = {name: (x[i], onehot[i]) for name, i in self.indices.items()}
        self.x, self.y = self.splits["train"]
        self.n_train = len(train)
        self.batch_size = _batch_size(batch_size, self.n_train)
        self.start = self.init_params(
            np.random.default_rng(v.positive_int("seed", seed, minimum=0))
        )

    def init_params(self, rng, shape=()):
        """Fresh parameters of shape (*shape, dim), PyTorch's default init: U(+-1/sqrt(fan_in))."""
        params = np.empty((*shape, self.dim))
        for W, b in self.layers(params):
            bound = 1 / np.sqrt(W.shape[-2])
            W[...] = rng.uniform(-bound, bound, W.shape)
            b[...] = rng.uniform(-bound, bound, b.shape)
        return params

    def layers(self, params):
        """Views [(W_1, b_1), ...] into flat params: W (..., fan_in, fan_out), b (..., fan_out)."""
        lead, i, layers = params.shape[:-1], 0, []
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            W = params[..., i : i + fan_in * fan_out].reshape(*lead, fan_in, fan_out)
            i += fan_in * fan_out
            layers.append((W, params[..., i : i + fan_out]))
            i += fan_out
        return layers

    def _act(self, z):
        return np.tanh(z) if self.activation == "tanh" else np.maximum(z, 0.0)

    def _act_grad(self, a):
        """act'(z), written with the activation a = act(z) that the forward pass kept."""
        return 1 - a * a if self.activation == "tanh" else (a > 0).astype(float)

    def _forward(self, layers, x):
        """The activations of every layer (inputs first) and the logits."""
        activations = [x]
        for W, b in layers[:-1]:
            # x (B, fan_in) @ W (..., fan_in, fan_out): one product for all networks.
            activations.append(self._act(activations[-1] @ W + b[..., None, :]))
        W, b = layers[-1]
        return activations, activations[-1] @ W + b[..., None, :]

    @staticmethod
    def _cross_entropy(logits, y):
        """The mean of -log softmax(z)[label] over the batch (y one-hot), and the log-softmax."""
        z = logits - logits.max(axis=-1, keepdims=True)  # shifted by the max: exp can't overflow
        log_probs = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        return -np.sum(y * log_probs, axis=-1).mean(axis=-1), log_probs

    def _criterion(self, logits, y):
        """The mean loss over the batch and its gradient with respect to the logits."""
        if self.criterion == "squared_error":
            residuals = logits - y
            return 0.5 * np.sum(residuals**2, axis=-1).mean(axis=-1), residuals / y.shape[-2]
        loss, log_probs = self._cross_entropy(logits, y)
        return loss, (np.exp(log_probs) - y) / y.shape[-2]

    def _split(self, batch, split):
        x, y = self.splits[v.one_of("split", split, tuple(self.splits))]
        return (x, y) if batch is None else (x[batch], y[batch])

    def loss(self, params, batch=None, split="train"):
        """Mean loss on ``split`` ("train", "val", "test"), or on a training ``batch``."""
        x, y = self._split(batch, split)
        _, logits = self._forward(self.layers(self._params(params)), x)
        return self._criterion(logits, y)[0]

    def loss_and_grad(self, params, batch=None, rng=None):
        params = self._params(params)
        x, y = self._split(batch, "train")
        layers = self.layers(params)
        activations, logits = self._forward(layers, x)
        loss, delta = self._criterion(logits, y)  # delta: d loss / d logits

        grads = np.empty_like(params)
        grad_layers = self.layers(grads)  # views: filling them fills the flat grads
        for layer in reversed(range(len(layers))):
            a, (W, _), (dW, db) = activations[layer], layers[layer], grad_layers[layer]
            dW[...] = np.swapaxes(a, -1, -2) @ delta
            db[...] = delta.sum(axis=-2)
            if layer > 0:  # the error one layer down, through W and the activation
                delta = (delta @ np.swapaxes(W, -1, -2)) * self._act_grad(a)
        return loss, grads

    def grad(self, params, batch=None):
        return self.loss_and_grad(params, batch)[1]

    def hvp(self, params, vectors, batch=None):
        """The Hessian of the loss times ``vectors``, exactly: H v = d/dt grad(params + t v) at 0.

        Pearlmutter's R-operator: write R(q) = dq/dt for every quantity q of the forward and
        backward passes, and differentiate each line of ``loss_and_grad`` by the product rule:

            R(z_l)     = R(a_{l-1}) W_l + a_{l-1} V_l + v_l      (V_l, v_l: the W_l, b_l parts
            R(a_l)     = act'(z_l) R(z_l)                         of vectors; R(a_0) = 0)
            R(dz)      = (softmax'(z) R(z)) / B    (squared error: R(z) / B)
            R(dW_l)    = R(a_{l-1})^T delta_l + a_{l-1}^T R(delta_l),   R(db_l) = sum_i R(delta_l)
            R(delta_{l-1}) = (R(delta_l) W_l^T + delta_l V_l^T) act'(a_{l-1})
                             + (delta_l W_l^T) R(act'(a_{l-1}))     (tanh: R(1 - a^2) = -2 a R(a))

        One pass costs about two gradients, and needs no Hessian (dim^2 numbers). ``params`` and
        ``vectors`` broadcast over their leading axes: params (R, dim) with vectors (R, dim) are
        R networks, each times its own vector; one params (dim,) with vectors = np.eye(dim) is
        the whole Hessian, one column per row of vectors.

        >>> mlp = digits_mlp(hidden=4)
        >>> H = mlp.hvp(mlp.start, np.eye(mlp.dim))             # (dim, dim), symmetric
        >>> H.shape, bool(np.allclose(H, H.T))
        ((310, 310), True)
        """
        params = self._params(params)
        vectors = self._params(vectors)
        x, y = self._split(batch, "train")
        layers, directions = self.layers(params), self.layers(vectors)
        activations, r_activations = [x], [None]  # R(a_0) = 0: the inputs do not move
        for (W, b), (V, c) in zip(layers[:-1], directions[:-1]):
            a, r_a = activations[-1], r_activations[-1]
            r_z = a @ V + c[..., None, :] + (0.0 if r_a is None else r_a @ W)
            activations.append(self._act(a @ W + b[..., None, :]))
            r_activations.append(self._act_grad(activations[-1]) * r_z)
        (W, b), (V, c) = layers[-1], directions[-1]
        a, r_a = activations[-1], r_activations[-1]
        logits = a @ W + b[..., None, :]
        r_logits = a @ V + c[..., None, :] + (0.0 if r_a is None else r_a @ W)
        _, delta = self._criterion(logits, y)
        if self.criterion == "squared_error":
            r_delta = r_logits / len(x)
        else:  # softmax's Jacobian: R(p) = p * (R(z) - sum_c p_c R(z_c)); p = B delta + y
            probs = delta * len(x) + y
            r_delta = probs * (r_logits - np.sum(probs * r_logits, axis=-1, keepdims=True))
            r_delta /= len(x)

        hv = np.empty(np.broadcast_shapes(params.shape, vectors.shape))
        hv_layers = self.layers(hv)
        for layer in reversed(range(len(layers))):
            a, r_a = activations[layer], r_activations[layer]
            (W, _), (V, _), (hW, hb) = layers[layer], directions[layer], hv_layers[layer]
            hW[...] = np.swapaxes(a, -1, -2) @ r_delta
            if r_a is not None:
                hW += np.swapaxes(r_a, -1, -2) @ delta
            hb[...] = r_delta.sum(axis=-2)
            if layer > 0:  # both errors one layer down, by the product rule
                back = delta @ np.swapaxes(W, -1, -2)
                r_back = r_delta @ np.swapaxes(W, -1, -2) + delta @ np.swapaxes(V, -1, -2)
                r_slope = -2 * a * r_a if self.activation == "tanh" else 0.0  # relu: 0 a.e.
                slope = self._act_grad(a)
                delta, r_delta = back * slope, r_back * slope + back * r_slope
        return hv

    def per_example_grads(self, params, batch=None):
        """The gradient of each example's own loss: shape (..., n, dim) for n examples.

        The same backward pass as ``loss_and_grad`` without the mean over the batch: for example
        i, dW_l,i = a_{l-1,i}^T delta_l,i (an outer product) and db_l,i = delta_l,i, where
        delta is n times the batch's (the gradient of one example's loss, not of 1/n of it).
        Their mean is ``grad(params, batch)``; their spread is the gradient noise (lecture 15).

        >>> mlp = digits_mlp(hidden=4)
        >>> g = mlp.per_example_grads(mlp.start, batch=np.arange(5))
        >>> g.shape, bool(np.allclose(g.mean(axis=0), mlp.grad(mlp.start, batch=np.arange(5))))
        ((5, 310), True)
        """
        params = self._params(params)
        x, y = self._split(batch, "train")
        layers = self.layers(params)
        activations, logits = self._forward(layers, x)
        delta = self._criterion(logits, y)[1] * len(x)  # each example's own d loss / d logits
        grads = np.empty((*params.shape[:-1], len(x), self.dim))
        grad_layers = self.layers(grads)  # views (..., n, fan_in, fan_out) and (..., n, fan_out)
        for layer in reversed(range(len(layers))):
            a, (W, _), (dW, db) = activations[layer], layers[layer], grad_layers[layer]
            dW[...] = a[..., :, None] * delta[..., None, :]
            db[...] = delta
            if layer > 0:
                delta = (delta @ np.swapaxes(W, -1, -2)) * self._act_grad(a)
        return grads

    def accuracy(self, params, split="test"):
        """The fraction of images of ``split`` whose largest logit is the right digit."""
        x, y = self._split(None, split)
        _, logits = self._forward(self.layers(self._params(params)), x)
        return np.mean(logits.argmax(axis=-1) == y.argmax(axis=-1), axis=-1)

    def evaluate(self, params):
        """Loss and accuracy on every split: train_loss, train_accuracy, val_..., test_..."""
        layers, metrics = self.layers(self._params(params)), {}
        for split, (x, y) in self.splits.items():
            _, logits = self._forward(layers, x)
            metrics[f"{split}_loss"] = self._criterion(logits, y)[0]
            metrics[f"{split}_accuracy"] = np.mean(logits.argmax(-1) == y.argmax(-1), axis=-1)
        return metrics


digits_mlp = DigitsMLP


def sharpness(problem, params, iters=20, vectors=None, preconditioner=None, batch=None):
    """The largest eigenvalue of the loss Hessian at ``params``, by power iteration on ``hvp``.

        v <- H v / |H v|   (iters times),   sharpness = v . H v   (the Rayleigh quotient)

    Each product is ``problem.hvp(params, v)``: the Hessian itself is never formed. Power
    iteration finds the eigenvalue of largest size; near a minimum that is the top one, the
    curvature gradient descent must respect (lr < 2 / sharpness on a quadratic). The error
    shrinks like (lambda_2 / lambda_1)^iters; pass the ``vectors`` a previous call returned to
    start near the answer, so that a few iterations per training step suffice.

    preconditioner  p, an array like params: the sharpness of diag(p) H diag(p), the
                    preconditioned Hessian P^-1/2 H P^-1/2 with p = P^-1/2 (lecture 14: Adam)
    Returns ``(sharpness, vectors)``: shapes params.shape[:-1] and params.shape; leading axes
    are independent networks, each with its own vector.

    >>> round(float(sharpness(quadratic(curvatures=[1.0, 3.0]), np.zeros(2))[0]), 6)
    3.0
    """
    params = problem._params(params)
    if vectors is None:
        vectors = np.random.default_rng(0).standard_normal(params.shape)
    vectors = np.broadcast_to(vectors, params.shape)
    scale = 1.0 if preconditioner is None else np.asarray(preconditioner, dtype=float)
    iters = v.positive_int("iters", iters)
    for _ in range(iters):
        vectors = vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)
        hv = scale * problem.hvp(params, scale * vectors, batch=batch)
        value = np.sum(vectors * hv, axis=-1)
        vectors = hv
    return value[()], vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def noise_scale_of(per_example_grads):
    """The gradient noise scale of a set of examples, from their gradients g_i (axis -2).

        G = mean_i g_i,   tr(Sigma) = mean_i |g_i - G|^2,   B_noise = tr(Sigma) / |G|^2

    McCandlish et al.'s (2018) simple noise scale, with the examples given as the whole
    population (a mean, not an unbiased estimate): a mini-batch of B of them drawn with
    replacement has a gradient whose noise tr(Sigma) / B equals the signal |G|^2 at B = B_noise.

    >>> float(noise_scale_of(np.array([[1.0, 0.0], [3.0, 0.0]])))     # G = (2, 0); Sigma: 1
    0.25
    """
    g = np.asarray(per_example_grads, dtype=float)
    mean = g.mean(axis=-2)
    trace = np.sum((g - mean[..., None, :]) ** 2, axis=-1).mean(axis=-1)
    return (trace / np.sum(mean**2, axis=-1))[()]


# --- landscapes that single lectures build on -------------------------------------------------


class BowlWithDip(Problem):
    """A wide bowl with a narrow Gaussian dip in its side: a sharp local minimum, a flat global one.

    f(p)      = c/2 |p - a|^2 - h exp(-|p - b|^2 / (2 w^2))
    grad f(p) = c (p - a) + (h / w^2) e(p) (p - b),                e(p) = exp(-|p - b|^2 / (2 w^2))
    Hessian   = c I + (h / w^2) e(p) (I - (p - b)(p - b)^T / w^2)

    a is the bowl's centre (curvature c), b the dip's centre (depth h, width w). A narrow dip is a
    sharp minimum: near b the curvature is about c + h / w^2, far more than the bowl's c. Gradient
    descent can only settle in a minimum whose largest curvature is below 2 / lr, so a small
    rate gets stuck in the dip, and a rate above 2 / (the dip's curvature) is thrown out of it.

    ``local_minimum`` (the bottom of the dip) and ``minimum`` (the bottom of the bowl) are found
    by Newton's method; ``curvatures(p)`` are the Hessian's eigenvalues at p, ascending.

    >>> d = BowlWithDip()
    >>> d.local_minimum.round(4), round(float(d.loss(d.local_minimum)), 4)
    (array([-0.8557,  0.    ]), 2.296)
    >>> d.curvatures(d.local_minimum).round(2), d.curvatures(d.minimum).round(2)
    (array([16.22, 20.8 ]), array([1., 1.]))
    """

    name = "bowl with a dip"
    dim = 2

    def __init__(
        self,
        curvature=1.0,
        center=(2.0, 0.0),
        depth=2.0,
        width=0.3,
        dip=(-1.0, 0.0),
        start=(-2.5, 0.5),
    ):
        self.c = float(v.positive("curvature", curvature))
        self.h = float(v.positive("depth", depth))
        self.w = float(v.positive("width", width))
        self.a = self._params(v.as_float_array("center", center))
        self.b = self._params(v.as_float_array("dip", dip))
        self.start = self._params(v.as_float_array("start", start)).copy()
        self.minimum = self._newton(self.a)
        self.min_loss = float(self.loss(self.minimum))
        self.local_minimum = self._newton(self.b)
        if np.allclose(self.local_minimum, self.minimum, atol=1e-6):
            raise ValueError(
                f"the dip (depth={self.h}, width={self.w}) is too shallow to hold a local minimum "
                "of its own: make it deeper or narrower"
            )
        # A window around the bowl's centre, the dip and the start, with room around them.
        points = np.stack([self.a, self.b, self.start])
        (x_lo, y_lo), (x_hi, y_hi) = points.min(0), points.max(0)
        self.bounds = (
            (float(x_lo - 1.0), float(x_hi + 1.0)),
            (float(y_lo - 1.5), float(y_hi + 1.5)),
        )

    def _dip(self, params):
        """(p - b, (h / w^2) e(p)): the offset from the dip's centre and the dip's pull."""
        d = self._params(params) - self.b
        return d, self.h / self.w**2 * np.exp(-np.sum(d * d, axis=-1) / (2 * self.w**2))

    def loss(self, params):
        params = self._params(params)
        d, pull = self._dip(params)
        return self.c / 2 * np.sum((params - self.a) ** 2, axis=-1) - pull * self.w**2

    def grad(self, params):
        params = self._params(params)
        d, pull = self._dip(params)
        return self.c * (params - self.a) + pull[..., None] * d

    def hessian(self, params):
        """The Hessian at ``params``, shape (..., 2, 2)."""
        d, pull = self._dip(params)
        outer = d[..., :, None] * d[..., None, :]
        eye = np.eye(self.dim)
        return self.c * eye + pull[..., None, None] * (eye - outer / self.w**2)

    def curvatures(self, params):
        """The eigenvalues of the Hessian at ``params``, ascending: the curvatures there."""
        return np.linalg.eigvalsh(self.hessian(params))

    def _newton(self, point, steps=100):
        """The minimum nearest ``point``: Newton's method, p <- p - H^-1 grad f(p)."""
        for _ in range(steps):
            step = np.linalg.solve(self.hessian(point), self.grad(point))
            point = point - step
            if np.abs(step).max() < 1e-13:
                break
        if np.any(self.curvatures(point) <= 0) or np.abs(self.grad(point)).max() > 1e-9:
            raise ValueError(
                f"no minimum near {point.round(3).tolist()}: the dip (depth={self.h}, "
                f"width={self.w}) is too shallow or too wide for this bowl"
            )
        return point


bowl_with_dip = BowlWithDip


class SteepBowl(Problem):
    """A bowl whose walls steepen away from the bottom: f(x) = sum_i (c_i x_i^2 / 2 + x_i^4 / 4).

    grad f = c x + x^3          Hessian = diag(c_i + 3 x_i^2)

    The curvature is c_i at the minimum (0) but grows with the distance from it: a toy model of a
    loss that is steepest where training starts. Gradient descent at rate lr is stable near a
    point only while lr < 2 / sharpness(x), the largest curvature there; that limit is lowest far
    out, where training starts. So a rate that is safe near the minimum can blow up in the first
    steps, and a warmup, which keeps the rate small until the iterate has moved in, lets it
    through.

    >>> bowl = steep_bowl()
    >>> float(bowl.sharpness(bowl.start)), float(bowl.sharpness(bowl.minimum))
    (28.0, 4.0)
    """

    name = "steep bowl"
    dim = 2

    def __init__(self, curvatures=(1.0, 4.0), start=(3.0, -2.0)):
        self.curvatures = v.positive("curvatures", curvatures)
        if self.curvatures.shape != (2,):
            raise ValueError(f"curvatures must be two numbers, got {self.curvatures.tolist()}")
        self.start = self._params(start).copy()
        self.minimum = np.zeros(2)
        self.min_loss = 0.0
        r = 1.25 * max(np.abs(self.start).max(), 1.0)
        self.bounds = ((-r, r), (-r, r))

    def loss(self, params):
        x = self._params(params)
        return np.sum(self.curvatures * x**2 / 2 + x**4 / 4, axis=-1)

    def grad(self, params):
        x = self._params(params)
        return self.curvatures * x + x**3

    def sharpness(self, params):
        """The largest eigenvalue of the Hessian diag(c_i + 3 x_i^2) at ``params``."""
        x = self._params(params)
        return np.max(self.curvatures + 3 * x**2, axis=-1)


def steep_bowl(curvatures=(1.0, 4.0), start=(3.0, -2.0)):
    """``SteepBowl``: curvature ``curvatures`` at the minimum, far more at ``start``."""
    return SteepBowl(curvatures, start)


class CommonNoiseQuadratic(NoisyQuadratic):
    """A noisy quadratic whose runs share their gradient noise: common random numbers.

    ``params`` of shape (..., seeds, dim) are runs; at every step one noise array of shape
    (seeds, dim) is drawn and added to the gradient of every run, so run (i, s) and run (j, s)
    see exactly the same noise. Compare two schedules on the same seeds and the difference in
    their losses comes from the schedules, not from luck: a fair race needs far fewer seeds.
    Each seed on its own is the ordinary ``noisy_quadratic``.

    >>> q = common_noise_quadratic(curvatures=[1.0, 1.0], sigma=1.0)
    >>> g = q.grad(np.zeros((3, 4, 2)), rng=np.random.default_rng(0))
    >>> bool(np.all(g[0] == g[2])), bool(np.all(g[:, 0] == g[:, 1]))
    (True, False)
    """

    def grad(self, params, rng=None):
        exact = super().grad(params)  # without an rng: the exact gradient H (x - x*)
        if rng is None or exact.ndim < 2:
            return super().grad(params, rng)  # a single run: ordinary noise
        return exact + self.sigma * rng.standard_normal(exact.shape[-2:])


def common_noise_quadratic(curvatures=None, condition=None, sigma=1.0, start=None):
    """``noisy_quadratic`` with noise shared across runs (see ``CommonNoiseQuadratic``)."""
    q = noisy_quadratic(curvatures=curvatures, condition=condition, sigma=sigma, start=start)
    return CommonNoiseQuadratic(q.hessian, q.sigma, start=q.start, eigenvalues=q.eigenvalues)


def gradient_streams(steps=2000, p_rare=0.02, small=0.01, seed=0):
    """Gradients for three parameters, shape (steps, 3), to watch AdaGrad adapt.

    column 0, "frequent, large":  N(0, 1) at every step
    column 1, "frequent, small":  N(0, small^2) at every step
    column 2, "rare":             N(0, 1) with probability p_rare, else exactly 0 (a sparse
                                  feature: most examples do not have it)

    >>> g = gradient_streams(1000)
    >>> g.shape, int(np.count_nonzero(g[:, 2]))
    ((1000, 3), 17)
    """
    rng = np.random.default_rng(v.positive_int("seed", seed, minimum=0))
    steps = v.positive_int("steps", steps)
    p_rare = float(v.in_range("p_rare", p_rare, 0, 1, low_open=True, high_open=False))
    noise = rng.standard_normal((steps, 3))
    present = rng.uniform(size=steps) < p_rare
    return noise * np.stack([np.ones(steps), np.full(steps, small), present], axis=1)


class SparseRegression(LinearRegression):
    """Least squares with ``dense`` everyday features and ``rare`` sparse ones.

    Each example has dense features x ~ N(0, 1) and rare features that are 1 with probability
    ``p_rare`` and 0 otherwise; y = x . w_true + N(0, noise^2), w_true all ones: a rare feature
    matters as much as any other when it is present. The Hessian's diagonal (the curvature
    along each weight) is about 1 for a dense weight and p_rare for a rare one, so one learning
    rate cannot suit both. Loss, gradient and mini-batches are those of ``LinearRegression``;
    the first ``dense`` weights are the dense ones.

    >>> p = sparse_regression()
    >>> p.dim, p.n_train, np.diag(p.hessian)[[0, 5]].round(3).tolist()
    (10, 1000, [1.018, 0.016])
    """

    name = "sparse regression"

    def __init__(
        self, n_train=1000, dense=5, rare=5, p_rare=0.02, batch_size=10, noise=0.1, seed=0
    ):
        rng = np.random.default_rng(v.positive_int("seed", seed, minimum=0))
        self.n_train = v.positive_int("n_train", n_train)
        self.dense, self.rare = v.positive_int("dense", dense), v.positive_int("rare", rare)
        self.dim = self.dense + self.rare
        self.batch_size = min(v.positive_int("batch_size", batch_size), self.n_train)
        p_rare = float(v.in_range("p_rare", p_rare, 0, 1, low_open=True, high_open=False))
        everyday = rng.standard_normal((self.n_train, self.dense))
        sparse = (rng.uniform(size=(self.n_train, self.rare)) < p_rare).astype(float)
        self.x = np.concatenate([everyday, sparse], axis=1)
        self.w_true = np.ones(self.dim)
        noise = float(v.non_negative("noise", noise))
        self.y = self.x @ self.w_true + noise * rng.standard_normal(self.n_train)
        self.hessian = self.x.T @ self.x / self.n_train
        eigenvalues = np.linalg.eigvalsh(self.hessian)
        self.L, self.mu = float(eigenvalues[-1]), float(eigenvalues[0])
        self.condition = self.L / self.mu
        self.minimum = np.linalg.lstsq(self.x, self.y, rcond=None)[0]
        self.min_loss = float(self.loss(self.minimum))
        self.start = np.zeros(self.dim)


sparse_regression = SparseRegression


class TiltedDoubleWell(Problem):
    """A 1-D loss with two minima: f(x) = x^4 / 4 - x^2 / 2 + tilt * x.

    f'(x) = x^3 - x + tilt. With a small positive tilt there is a shallow minimum near x = +1 and
    a deeper one near x = -1, separated by a bump near x = 0. The start, x = 2, lies in the
    basin of the shallow one: small steps roll into it and stay there; a step large enough to
    clear the bump can land in the deep one (or, at larger rates still, anywhere).

    >>> well = TiltedDoubleWell()
    >>> [round(float(x), 4) for x in well.minima], [round(float(f), 4) for f in well.minima_loss]
    ([-1.0679, 0.9143], [-0.4053, -0.1061])
    """

    name = "tilted double well"
    dim = 1

    def __init__(self, tilt=0.15):
        self.tilt = float(v.positive("tilt", tilt))
        roots = np.roots([1.0, 0.0, -1.0, self.tilt])  # f'(x) = 0
        real = np.sort(roots[np.abs(roots.imag) < 1e-12].real)
        if len(real) != 3:
            raise ValueError(f"tilt must be small enough for two minima (< 0.38), got {tilt}")
        self.minima = real[[0, 2]]  # the outer two; the middle one is the bump
        self.bump = real[1]
        self.minima_loss = self.loss(self.minima[:, None])
        self.minimum = self.minima[:1]
        self.min_loss = float(self.minima_loss[0])
        self.start = np.array([2.0])

    def loss(self, params):
        x = self._params(params)[..., 0]
        return x**4 / 4 - x**2 / 2 + self.tilt * x

    def grad(self, params):
        x = self._params(params)
        return x**3 - x + self.tilt


class HeldOut(DigitsMLP):
    """The digits MLP, whose evaluation after each epoch measures the held-out loss only.

    ``run(..., eval_every="epoch")`` evaluates every network of a sweep once per epoch. The full
    ``DigitsMLP.evaluate`` also passes over the 1,197 training images; here the training curve
    comes free from the mini-batch losses that ``run`` records anyway, so this evaluation looks
    at the 300 validation and 300 test images only: a third of the work.
    """

    def evaluate(self, params):
        return {f"{split}_loss": self.loss(params, split=split) for split in ("val", "test")}


class Scaled(Problem):
    """The landscape of ``problem``, its loss multiplied by ``scale``: c f(x), gradient c grad f.

    The minimum stays where it is, and gradient descent's path stays the same at the rate lr / c;
    at a fixed rate its behaviour changes completely. Adam divides the gradient by a running
    estimate of its own size, so c cancels (up to eps): its path does not change at all.
    ``scale`` may be an array with one entry per run of a sweep.

    >>> from lrcourse.problems import quadratic
    >>> bowl = Scaled(quadratic(curvatures=[1.0, 10.0]), np.array([0.01, 100.0]))
    >>> bowl.loss(np.ones((2, 2))), bowl.grad(np.ones((2, 2)))
    (array([5.5e-02, 5.5e+02]), array([[1.e-02, 1.e-01],
           [1.e+02, 1.e+03]]))
    """

    def __init__(self, problem, scale):
        self.problem = problem
        self.scale = v.positive("scale", scale)
        self.name = f"scaled {problem.name}"
        self.dim, self.start, self.minimum = problem.dim, problem.start, problem.minimum
        self.bounds = problem.bounds
        self.min_loss = None if problem.min_loss is None else problem.min_loss * self.scale

    def loss(self, params):
        return self.scale * self.problem.loss(params)

    def grad(self, params):
        return np.asarray(self.scale)[..., None] * self.problem.grad(params)


def counterexample_gradients(steps, C=3.0):
    """The gradients of f_t(x) = C x (t mod 3 == 1) or -x (otherwise), t = 1, ..., steps.

    >>> counterexample_gradients(6)
    array([ 3., -1., -1.,  3., -1., -1.])
    """
    t = np.arange(1, v.positive_int("steps", steps) + 1)
    return np.where(t % 3 == 1, float(v.positive("C", C)), -1.0)
