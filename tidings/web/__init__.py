"""The web app for reviewers and comms staff: server-rendered pages over the same service
layer as the command line (``drafts.*`` and ``scheduler.preview``).

``app.create_app`` puts it together. Each page has a module named after it (``inbox``,
``draft_page``, ``channels_page``, ...) holding its routes and what its template shows; pages
read and write only through service functions, never SQL. The other modules are what every
request passes through (logging in, CSRF, throttling, error pages, ...) and what every page is
rendered with (Jinja2, translations, post cards, ...), each named for what it does. The
templates are ``templates/web`` in a checkout, ``tidings/web/templates`` in the wheel.
"""
