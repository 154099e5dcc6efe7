"""FuseSoC calls this with the generator's input file (fusesoc/accelgen.core)."""

import sys

try:
    from accelgen.fusesoc_generator import generator_main
except ImportError:
    sys.exit("error: accelgen is not installed for this python3; run FuseSoC with the "
             "Python that has it first on PATH (activate its venv)")

sys.exit(generator_main(sys.argv[1:]))
