"""The web app for reviewers and comms staff: server-rendered pages over the same service
layer as the command line (``drafts.*`` and ``scheduler.preview``).

    app            create_app: routes, middleware, error pages
    session_key    the key that signs session cookies
    csrf           the token every form carries, and the middleware that checks it
    auth           logging in and out, and the middleware that sends visitors to /login
    pages          the Jinja2 environment and the page context every template gets
    post_cards     a post as its platform will show it, measured by that platform's rules
    inbox          the review inbox
    draft_page     one draft's page and the review decisions taken there
    preferences    the viewer's timezone
"""
