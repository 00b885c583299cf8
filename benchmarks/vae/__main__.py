"""`python -m benchmarks.vae ...`: one run of the VAE harness (see `--help`)."""

import sys

from benchmarks.vae.run import main

sys.exit(main())
