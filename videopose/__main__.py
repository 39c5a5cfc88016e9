import sys

from videopose.cli import main

sys.exit(main())
