"""
Scenario 1's Lambda (`GET /dev/wishlist`, behind the JWT authorizer): the claims API Gateway
verified, and the e-mail-verification check the authorizer cannot make (`st-ev`, which API Gateway
hands over as a string). The same answers as ../seeds/wishlist.ts.
"""
import json


def handler(event, context):
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    verified = email_verified(claims.get("st-ev"))
    if verified is not True:
        reason = (
            {"message": "value does not exist", "expectedValue": True}
            if verified is None
            else {"message": "wrong value", "expectedValue": True, "actualValue": verified}
        )
        return respond(403, {"message": "invalid claim", "claimValidationErrors": [{"id": "st-ev", "reason": reason}]})
    return respond(200, {"userId": claims["sub"], "claims": claims})


def email_verified(claim):
    if not isinstance(claim, str):
        return None
    try:
        value = json.loads(claim).get("v")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, bool) else None


def respond(status, body):
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body, separators=(",", ":"))}
