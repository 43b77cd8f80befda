"""Provider webhooks: `POST /webhooks/sms` (inbound replies, Twilio's form and
X-Twilio-Signature over `CARNET_PUBLIC_URL` + path, keyed by `CARNET_SMS_AUTH_TOKEN`) and
`POST /webhooks/email` (bounces and complaints as JSON, X-Carnet-Signature: hex
HMAC-SHA256 of the body with `CARNET_EMAIL_WEBHOOK_SECRET`). An unsigned or badly signed
call is 403 and logged; a malformed one 400; nothing is changed by either, never a 500.
"""

from __future__ import annotations

import hmac
import json
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from resolvers.common.actor import RequestMeta
from resolvers.messaging import webhooks

log = logging.getLogger("carnet.webhooks")

_EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
_MAX_BODY = 64 * 1024


def _meta(request: Request) -> RequestMeta:
    return RequestMeta(
        request_id=request.scope.get("carnet.request_id", ""),
        ip_address=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", "")[:255],
    )


def _refused(request: Request, why: str) -> Response:
    log.warning("webhook %s refused: %s (from %s)", request.url.path, why,
                request.client.host if request.client else "unknown")
    return JSONResponse({"error": why}, status_code=403)


async def sms_webhook(request: Request) -> Response:
    settings = request.app.state.settings
    token = settings.sms_auth_token.get_secret_value()
    if not token:
        return _refused(request, "no SMS auth token is configured")
    if int(request.headers.get("content-length") or 0) > _MAX_BODY:
        return JSONResponse({"error": "too large"}, status_code=400)
    try:
        form = await request.form()
        params = {key: str(value) for key, value in form.items()}
    except Exception:
        return JSONResponse({"error": "not a form"}, status_code=400)
    url = settings.public_url.rstrip("/") + request.url.path
    expected = webhooks.twilio_signature(token, url, params)
    given = request.headers.get("x-twilio-signature", "")
    if not given or not hmac.compare_digest(given, expected):
        return _refused(request, "bad signature")
    phone, body = params.get("From", "").strip(), params.get("Body", "")
    if not phone:
        return JSONResponse({"error": "From is required"}, status_code=400)
    reply = await webhooks.inbound_sms(phone, params.get("To", "").strip(), body, _meta(request))
    log.info("inbound SMS %s: %s contact(s) changed", reply.action or "(no keyword)",
             reply.contacts)
    return Response(_EMPTY_TWIML, media_type="application/xml")


async def email_webhook(request: Request) -> Response:
    secret = request.app.state.settings.email_webhook_secret.get_secret_value()
    if not secret:
        return _refused(request, "no email webhook secret is configured")
    body = await request.body()
    if len(body) > _MAX_BODY:
        return JSONResponse({"error": "too large"}, status_code=400)
    given = request.headers.get("x-carnet-signature", "")
    if not given or not hmac.compare_digest(given, webhooks.email_signature(secret, body)):
        return _refused(request, "bad signature")
    try:
        raw = json.loads(body)
        kind = raw["type"]
        if kind not in ("bounce", "complaint"):
            raise ValueError(kind)
        event = webhooks.EmailEvent(
            kind=kind,
            hard=str(raw.get("bounceType", "hard")).lower() in ("hard", "permanent"),
            message_id=str(raw.get("messageId") or ""),
            recipient=str(raw.get("recipient") or ""),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return JSONResponse({"error": "expected {type: bounce|complaint, ...}"}, status_code=400)
    known = await webhooks.email_event(event, _meta(request))
    return JSONResponse({"ok": True, "matched": known})
