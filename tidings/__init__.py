"""The front doors of Tidings over the service layer (``drafts``, ``scheduler``): the command
line (``tidings.cli``), the web app (``tidings.web``) and the demonstration (``tidings.demo``)."""
