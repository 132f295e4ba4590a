import sys

from coalm_env.cli import main

sys.exit(main())
