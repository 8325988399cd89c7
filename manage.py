#!/usr/bin/env python
from lifelong.__main__ import manage

if __name__ == "__main__":
    manage()
