"""Settings shared by every test.

Figures are drawn off screen with Agg. ``matplotlib.use`` sets this for the test process only:
setting the MPLBACKEND environment variable instead would leak into the Jupyter kernels that
notebook and browser tests start, where it overrides the inline backend and turns every
``plt.show()`` into a warning.
"""

import matplotlib

matplotlib.use("Agg")
