#!/usr/bin/python3
"""Run `dnsviz probe` with its one loopback policy lifted.

dnsviz is built to probe servers on the internet and drops loopback
addresses from every server list. Our test servers live on 127.0.0.2 and
127.0.0.3, so this wrapper allows them and changes nothing else.
"""
import logging
import sys

import dnsviz.transport

dnsviz.transport.DNSQueryTransportHandler.allow_loopback_query = True

from dnsviz.commands import probe  # noqa: E402 (after the policy change)

logging.basicConfig()
probe.main(sys.argv[1:])
