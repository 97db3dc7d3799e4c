"""The command-line conventions of the tool, kept by every script here: a usage error is one line on stderr
and exit 2 (argparse's own prints the usage block first)."""

import argparse
import sys


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        print(f"{self.prog}: error: {message[:300]}", file=sys.stderr)
        sys.exit(2)
