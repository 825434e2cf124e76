"""
Scenario 2's REQUEST Lambda authorizer (`GET /prod/profile`, REST API): the seed's Python authorizer,
a FastAPI app behind Mangum calling `get_session(request, session_required=False)` on the authorizer
event and answering an IAM policy, with the re-issued access cookie in `context.setCookie`.

Kept from the seed: the FastAPI + Mangum structure, one catch-all route reading
`request.scope["aws.event"]["methodArn"]`, the policy helpers, the error mapping (refresh/unauthorised
-> "Unauthorized"; invalid claims -> Deny with the claim errors as the body), and the wrapper
`handler()` that turns Mangum's HTTP response back into the authorizer's output.

FIXED (each marked below; README.md "What was fixed"):
  1. the seed reads `response["headers"]["set-cookie"]`; Mangum puts repeated headers (two or more
     Set-Cookie) under `multiValueHeaders` and none when there is no cookie, so that line raises
     KeyError on most requests: the gateway then answers what AWS answers for a failed authorizer
     (500). Set SEEDS_PYTHON_AS_WRITTEN=1 to run the seed's line as written and see it.
  2. `raise Exception("Unauthorized")` inside the FastAPI route never reaches Lambda: Mangum turns it
     into a 500 "Internal Server Error" response, and `json.loads` of that body fails. The route
     answers 401 instead, and `handler()` raises "Unauthorized" from there (API Gateway's 401).
  3. no session: the seed allows with an empty principalId; this raises "Unauthorized" like the
     Node authorizer (the frontend SDK then refreshes).
  4. the claim errors go into the context as a JSON string: API Gateway (REST) accepts only string,
     number and boolean context values, and fails the authorizer (500) on an object.
  5. `supertokens_python.recipe.session.asyncio.get_session` in an async route instead of the
     `syncio` variant plus `nest_asyncio.apply()`: same call, no event-loop patching.
"""
import json
import os
from typing import Any, Dict, List, Optional

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from mangum import Mangum
from supertokens_python import init
from supertokens_python.framework.fastapi import get_middleware
from supertokens_python.recipe.session.asyncio import get_session
from supertokens_python.recipe.session.exceptions import InvalidClaimsError, TryRefreshTokenError, UnauthorisedError

import config

init(
    supertokens_config=config.supertokens_config,
    app_info=config.app_info,
    framework=config.framework,
    recipe_list=config.recipe_list,
    mode="asgi",
)

app = FastAPI(title="Portcullis seeds: authorizer")


def generate_policy(principal_id: str, effect: str, resource: str, context: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    return {
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        "context": context or {},
    }


def generate_allow(principal_id: str, resource: str, context: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    return generate_policy(principal_id, "Allow", resource, context)


def generate_deny(principal_id: str, resource: str, context: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    return generate_policy(principal_id, "Deny", resource, context)


@app.get("/{full_path:path}")
async def handle_auth(request: Request, full_path: str):
    event = request.scope["aws.event"]
    method_arn = event.get("methodArn")
    try:
        # FIXED 5: the asyncio variant (the seed: syncio + nest_asyncio).
        session = await get_session(request, session_required=False, anti_csrf_check=False)
    except (TryRefreshTokenError, UnauthorisedError):
        # FIXED 2: the seed raises Exception("Unauthorized") here, which Mangum turns into a 500.
        return JSONResponse({"message": "Unauthorized"}, status_code=401)
    except InvalidClaimsError as e:
        claim_validation_errors = [err.to_json() for err in e.payload]
        # FIXED 4: a JSON string, not an object (REST context values are scalars).
        return generate_deny("", method_arn, {"body": json.dumps({"message": "invalid claim", "claimValidationErrors": claim_validation_errors}, separators=(",", ":"))})
    if session is None:
        # FIXED 3: the seed allows with principalId "".
        return JSONResponse({"message": "Unauthorized"}, status_code=401)
    return generate_allow(session.get_user_id(), method_arn)


app.add_middleware(get_middleware())


def access_token_cookie(response: Dict[str, Any]) -> Optional[str]:
    """FIXED 1: Set-Cookie from `headers` (one) or `multiValueHeaders` (several); the access token's."""
    values: List[str] = []
    single = (response.get("headers") or {}).get("set-cookie")
    if single:
        values.append(single)
    values.extend((response.get("multiValueHeaders") or {}).get("set-cookie", []))
    return next((v for v in values if v.startswith("sAccessToken=")), None)


def handler(event: Dict[str, Any], context: Any) -> Dict[str, Any]:
    mangum_handler = Mangum(app, lifespan="off")
    response: Dict[str, Any] = mangum_handler(event, context)

    if event.get("methodArn"):
        if response["statusCode"] == 401:
            raise Exception("Unauthorized")
        gateway_response = json.loads(response["body"])
        if os.environ.get("SEEDS_PYTHON_AS_WRITTEN") == "1":
            # The seed's line, as written: KeyError unless exactly one Set-Cookie header.
            gateway_response["context"]["setCookie"] = response["headers"]["set-cookie"]
        else:
            cookie = access_token_cookie(response)
            if cookie is not None:
                gateway_response["context"]["setCookie"] = cookie
        return gateway_response

    return response
