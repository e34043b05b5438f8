"""Every route of the app declares who may call it (see backend/web/policy.py)."""

from backend.web.policy import policy_of

# Routes served by libraries (docs UI, the spec, static files), not by our views.
NOT_OURS = {"static", "swagger_ui.show", "api-docs.openapi_json"}


def test_every_route_declares_a_policy(app):
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_OURS:
            continue
        view = app.view_functions[rule.endpoint]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if policy_of(view, method) is None:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert missing == [], "routes without @allow/@public: " + ", ".join(missing)
