#!/usr/bin/env python
from lifelong.__main__ import main

if __name__ == "__main__":
    main()
