"""``/api/v1``: the HTTP API scripts and tools call with a token (``drafts.api_tokens``), over
the same service functions as the command line and the pages, answering the command line's
JSON. Served by ``tidings web`` beside the pages (``tidings.web.app``).
"""
