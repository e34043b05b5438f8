"""``/v1/confirmations``: what a counter asked me to confirm, and my answer."""

from __future__ import annotations

from flask.views import MethodView

from backend.confirmations import services
from backend.confirmations.schemas import ConfirmationSchema
from backend.web.api import Blueprint, add_error_responses
from backend.web.database import db
from backend.web.idempotency import idempotent
from backend.web.policy import allow, current_person

blp = Blueprint(
    "confirmations",
    __name__,
    url_prefix="/v1/confirmations",
    description="Requests to confirm in the app (e.g. paying at a partner's till)",
)


@blp.route("")
class Pending(MethodView):
    @allow("patron")
    @blp.response(200, ConfirmationSchema(many=True))
    @blp.doc(summary="My requests still waiting for an answer, newest first")
    def get(self):
        return services.pending_for(db.session, current_person())


@blp.route("/<confirmation_id>/confirm")
class Confirm(MethodView):
    @allow("patron")
    @idempotent
    @blp.response(200, ConfirmationSchema)
    @blp.doc(summary="Confirm (a payment moves the money now; insufficient funds is 422)")
    def post(self, confirmation_id):
        return services.answer(db.session, current_person(), confirmation_id, accept=True)


add_error_responses(Confirm.post, 404, 409, 422)


@blp.route("/<confirmation_id>/decline")
class Decline(MethodView):
    @allow("patron")
    @blp.response(200, ConfirmationSchema)
    @blp.doc(summary="Decline: nothing happens")
    def post(self, confirmation_id):
        return services.answer(db.session, current_person(), confirmation_id, accept=False)


add_error_responses(Decline.post, 404, 409, 422)

blueprints = (blp,)
