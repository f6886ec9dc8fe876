"""The front doors of Tidings: the command line (and, later, the web app) over the service layer."""
