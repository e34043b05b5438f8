"""Staff web console: server-rendered pages at ``/console/`` (Italian/English).

Staff sign in with email + password; the browser keeps a signed cookie that
names an ``AuthSession`` (channel ``console``), so "log out everywhere" and
deactivating a user end console sessions too. Every form POST carries a CSRF
token.

Adding a page is one route plus one template::

    # backend/<domain>/console.py
    from backend.console import bp, render, staff_page

    @bp.route("/desk")
    @staff_page("librarian")                     # who may open it (the route-policy test checks)
    def desk():
        return render("desk/index.html", title=Text(it="Cassa", en="Cash desk"))

    # backend/<domain>/templates/console/desk/index.html  (or backend/console/templates/console/…)
    {% extends "console/base.html" %}
    {% block content %}…{% endblock %}

then import the module in ``backend.console.pages`` (one line) and, for the
dashboard, add a link with ``register_link(...)``. Forms include
``<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">``.
``current_principal()`` works in console views as in API views.

Show words, not codes: ``{{ t(label("role", code)) }}`` with labels registered
by ``backend.console.labels.register_labels``; times with ``{{ when(dt) }}``
(Europe/Rome). Finally add the page to the browser gate: one ``ConsolePage``
line in ``tests/browser/pages.py`` (screenshot + axe-core, ``bash scripts/browser.sh``).
"""

from backend.console.access import bp, console_principal, register_link, render, staff_page  # noqa: F401
