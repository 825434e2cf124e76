"""One supertokens-python release, unmodified, through the compatibility matrix's flows.

test/compat/python-sdk.test.ts runs this with the release's own venv interpreter, once per release.
Environment: COMPAT_CONNECTION_URI (the core), COMPAT_EXPECT_TOKEN_VERSION (5 for every release served).
Output: one `FLOW {"flow":…,"ok":…,"error"?:…}` line per flow on stdout.

The flows call the SDK's server-side functions (the `*_without_request_response` session API and the
recipes' asyncio functions), whose signatures every release from 0.25 shares.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import struct
import time
import traceback

from supertokens_python import InputAppInfo, SupertokensConfig, init
from supertokens_python import asyncio as st
from supertokens_python.recipe import emailpassword, emailverification, multifactorauth, passwordless, session, thirdparty, totp, usermetadata, userroles
from supertokens_python.recipe.accountlinking import asyncio as al
from supertokens_python.recipe.multifactorauth import asyncio as mfa
from supertokens_python.recipe.totp import asyncio as totp_fns
from supertokens_python.recipe.passwordless import ContactEmailOrPhoneConfig
from supertokens_python.recipe.passwordless import asyncio as pl
from supertokens_python.recipe.thirdparty import SignInAndUpFeature
from supertokens_python.recipe.thirdparty import asyncio as tp
from supertokens_python.recipe.thirdparty.provider import ProviderClientConfig, ProviderConfig, ProviderInput
from supertokens_python.recipe.emailpassword import asyncio as ep
from supertokens_python.recipe.multitenancy import asyncio as mt
from supertokens_python.recipe.multitenancy.interfaces import TenantConfigCreateOrUpdate
from supertokens_python.recipe.emailverification import asyncio as ev
from supertokens_python.recipe.session import asyncio as sess
from supertokens_python.recipe.session.exceptions import TokenTheftError, UnauthorisedError
from supertokens_python.recipe.usermetadata import asyncio as meta
from supertokens_python.recipe.userroles import asyncio as roles
from supertokens_python.types import RecipeUserId

CONNECTION_URI = os.environ["COMPAT_CONNECTION_URI"]
EXPECT_TOKEN_VERSION = os.environ["COMPAT_EXPECT_TOKEN_VERSION"]
RUN = f"py-{os.getpid()}"
PASSWORD = "correct-horse-1"

init(
    app_info=InputAppInfo(app_name="compat", api_domain="https://api.example.com", website_domain="https://app.example.com"),
    supertokens_config=SupertokensConfig(connection_uri=CONNECTION_URI),
    framework="fastapi",
    mode="asgi",
    recipe_list=[
        emailpassword.init(),
        emailverification.init(mode="OPTIONAL"),
        userroles.init(),
        usermetadata.init(),
        thirdparty.init(
            sign_in_and_up_feature=SignInAndUpFeature(
                providers=[
                    ProviderInput(
                        config=ProviderConfig(
                            third_party_id="google",
                            clients=[ProviderClientConfig(client_id="compat-client", client_secret="compat-secret")],
                        )
                    )
                ]
            )
        ),
        passwordless.init(contact_config=ContactEmailOrPhoneConfig(), flow_type="USER_INPUT_CODE_AND_MAGIC_LINK"),
        session.init(),
        totp.init(),
        multifactorauth.init(),
    ],
)

serial = 0


def new_email() -> str:
    global serial
    serial += 1
    return f"compat-{RUN}-{serial}@example.com"


def check(condition: object, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def jwt_part(token: str, index: int) -> dict:
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


async def sign_up(email: str | None = None):
    email = email or new_email()
    result = await ep.sign_up("public", email, PASSWORD)
    check(result.__class__.__name__ == "SignUpOkResult", f"sign-up: {result!r}")
    return email, result.user.id


async def new_session(user_id: str):
    s = await sess.create_new_session_without_request_response("public", RecipeUserId(user_id), {}, {}, True)
    tokens = s.get_all_session_tokens_dangerously()
    return s, tokens


async def flow_handshake():
    result = await roles.get_all_roles()
    check(isinstance(result.roles, list), f"get_all_roles: {result!r}")


async def flow_sign_up_in():
    email, user_id = await sign_up()
    again = await ep.sign_up("public", email, PASSWORD)
    check(again.__class__.__name__ == "EmailAlreadyExistsError", f"duplicate sign-up: {again!r}")
    signed_in = await ep.sign_in("public", email.upper(), PASSWORD)
    check(signed_in.__class__.__name__ == "SignInOkResult" and signed_in.user.id == user_id, f"sign-in: {signed_in!r}")
    wrong = await ep.sign_in("public", email, "wrong-password-1")
    check(wrong.__class__.__name__ == "WrongCredentialsError", f"wrong password: {wrong!r}")
    user = await st.get_user(user_id)
    check(user is not None and user.emails == [email], f"get_user: {user!r}")


async def flow_sessions():
    _, user_id = await sign_up()
    s, tokens = await new_session(user_id)
    header = jwt_part(tokens["accessToken"], 0)
    check(header.get("version") == EXPECT_TOKEN_VERSION, f"access token version {header.get('version')}")
    verified = await sess.get_session_without_request_response(tokens["accessToken"], anti_csrf_check=False)
    check(verified is not None and verified.get_user_id() == user_id, "get_session")
    refreshed = await sess.refresh_session_without_request_response(tokens["refreshToken"], True)
    new_tokens = refreshed.get_all_session_tokens_dangerously()
    check(new_tokens["refreshToken"] != tokens["refreshToken"], "refresh rotated no token")
    again = await sess.get_session_without_request_response(new_tokens["accessToken"], anti_csrf_check=False)
    check(again is not None and again.get_user_id() == user_id, "get_session after refresh")
    handle = s.get_handle()
    check(await sess.get_session_information(handle) is not None, "session information")
    check(await sess.revoke_session(handle) is True, "revoke_session")
    check(await sess.get_session_information(handle) is None, "revoked session still listed")
    try:
        await sess.refresh_session_without_request_response(new_tokens["refreshToken"], True)
        raise AssertionError("refresh of a revoked session succeeded")
    except UnauthorisedError:
        pass


async def flow_theft():
    _, user_id = await sign_up()
    s, tokens = await new_session(user_id)
    first = (await sess.refresh_session_without_request_response(tokens["refreshToken"], True)).get_all_session_tokens_dangerously()
    second = (await sess.refresh_session_without_request_response(first["refreshToken"], True)).get_all_session_tokens_dangerously()
    await sess.get_session_without_request_response(second["accessToken"], anti_csrf_check=False)
    try:
        await sess.refresh_session_without_request_response(tokens["refreshToken"], True)
        raise AssertionError("replaying the first refresh token succeeded")
    except TokenTheftError as theft:
        # The core names the session; revoking it is the SDK's error handler's job (its refresh API).
        check(theft.session_handle == s.get_handle() and theft.user_id == user_id, f"theft names {theft.session_handle}")


async def flow_email_verification():
    email, user_id = await sign_up()
    check(await ev.is_email_verified(RecipeUserId(user_id), email) is False, "verified before verifying")
    token = await ev.create_email_verification_token("public", RecipeUserId(user_id), email)
    check(token.__class__.__name__ == "CreateEmailVerificationTokenOkResult", f"token: {token!r}")
    bad = await ev.verify_email_using_token("public", token.token + "x")
    check(bad.__class__.__name__ == "VerifyEmailUsingTokenInvalidTokenError", f"bad token: {bad!r}")
    ok = await ev.verify_email_using_token("public", token.token)
    check(ok.__class__.__name__ == "VerifyEmailUsingTokenOkResult", f"verify: {ok!r}")
    check(await ev.is_email_verified(RecipeUserId(user_id), email) is True, "not verified after verifying")


async def flow_password_reset():
    email, user_id = await sign_up()
    token = await ep.create_reset_password_token("public", user_id, email)
    check(token.__class__.__name__ == "CreateResetPasswordOkResult", f"reset token: {token!r}")
    reset = await ep.reset_password_using_token("public", token.token, "new-password-2")
    check(reset.__class__.__name__ == "UpdateEmailOrPasswordOkResult", f"reset: {reset!r}")
    signed_in = await ep.sign_in("public", email, "new-password-2")
    check(signed_in.__class__.__name__ == "SignInOkResult", f"sign-in with the new password: {signed_in!r}")
    reuse = await ep.reset_password_using_token("public", token.token, "other-password-3")
    check(reuse.__class__.__name__ == "PasswordResetTokenInvalidError", f"token reuse: {reuse!r}")


async def flow_roles():
    _, user_id = await sign_up()
    role = f"admin-{RUN}"
    await roles.create_new_role_or_add_permissions(role, ["read", "write"])
    await roles.add_role_to_user("public", user_id, role)
    got = await roles.get_roles_for_user("public", user_id)
    check(got.roles == [role], f"roles: {got!r}")
    perms = await roles.get_permissions_for_role(role)
    check(sorted(perms.permissions) == ["read", "write"], f"permissions: {perms!r}")
    users = await roles.get_users_that_have_role("public", role)
    check(users.users == [user_id], f"users with role: {users!r}")


async def flow_count_and_search():
    # Email/password users only: the account-linking flow of a release running at the same time links a
    # third-party user to an email/password one, which lowers the total by one.
    before = await st.get_user_count(["emailpassword"], "public")
    email, user_id = await sign_up(f"search-{RUN}@example.com")
    check(await st.get_user_count(["emailpassword"], "public") >= before + 1, "get_user_count did not grow")
    found = await st.get_users_newest_first("public", limit=10, query={"email": f"search-{RUN}"})
    check([u.id for u in found.users] == [user_id], f"search by email: {[u.id for u in found.users]}")
    none = await st.get_users_newest_first("public", limit=10, query={"email": f"nobody-{RUN}"})
    check(none.users == [], "a search that matches nobody lists users")


async def flow_user_id_mapping():
    email, user_id = await sign_up()
    external = f"ext-{RUN}"
    created = await st.create_user_id_mapping(user_id, external, "from LDAP")
    check(created.__class__.__name__ == "CreateUserIdMappingOkResult", f"create: {created!r}")
    got = await st.get_user_id_mapping(external)
    check(got.__class__.__name__ == "GetUserIdMappingOkResult" and got.supertokens_user_id == user_id, f"get: {got!r}")
    signed_in = await ep.sign_in("public", email, PASSWORD)
    check(signed_in.user.id == external, f"sign-in answers the external id: {signed_in.user.id}")
    await st.update_or_delete_user_id_mapping_info(external, None, None)
    removed = await st.delete_user_id_mapping(external)
    check(removed.did_mapping_exist is True, f"delete: {removed!r}")
    check((await ep.sign_in("public", email, PASSWORD)).user.id == user_id, "unmapped again")


async def flow_third_party():
    provider_user_id = f"g-{RUN}"
    first = await tp.manually_create_or_update_user("public", "google", provider_user_id, f"tp-{RUN}@example.com", True)
    check(first.__class__.__name__ == "ManuallyCreateOrUpdateUserOkResult" and first.created_new_recipe_user, f"first: {first!r}")
    second = await tp.manually_create_or_update_user("public", "google", provider_user_id, f"tp-new-{RUN}@example.com", False)
    check(not second.created_new_recipe_user and second.user.id == first.user.id, "one user per provider user id")
    check(second.user.emails == [f"tp-new-{RUN}@example.com"], f"the provider's new email: {second.user.emails}")
    method = second.user.login_methods[0]
    check(method.recipe_id == "thirdparty" and method.third_party.id == "google", f"login method: {method.recipe_id}")
    found = await st.get_users_newest_first("public", limit=100, query={"provider": "goo"})
    check(first.user.id in [u.id for u in found.users], "the provider search finds the user")


async def flow_multitenancy():
    tenant_id = f"t-{RUN}"
    created = await mt.create_or_update_tenant(tenant_id, TenantConfigCreateOrUpdate(first_factors=["emailpassword"]))
    check(created.status == "OK" and created.created_new is True, f"create_or_update_tenant: {created!r}")
    updated = await mt.create_or_update_tenant(tenant_id, TenantConfigCreateOrUpdate(core_config={"email_verification_token_lifetime": 7200000}))
    check(updated.created_new is False, f"update: {updated!r}")
    tenant = await mt.get_tenant(tenant_id)
    check(tenant is not None and tenant.first_factors == ["emailpassword"], f"get_tenant: {tenant!r}")
    check(tenant.core_config.get("email_verification_token_lifetime") == 7200000, f"core_config: {tenant.core_config!r}")
    check(await mt.get_tenant(f"nowhere-{RUN}") is None, "get_tenant of an unknown tenant is None")
    listed = [t.tenant_id for t in (await mt.list_all_tenants()).tenants]
    check("public" in listed and tenant_id in listed, f"list_all_tenants: {listed}")
    email = new_email()
    signed_up = await ep.sign_up(tenant_id, email, PASSWORD)
    check(signed_up.__class__.__name__ == "SignUpOkResult" and signed_up.user.tenant_ids == [tenant_id], f"sign-up in the tenant: {signed_up!r}")
    check((await ep.sign_in(tenant_id, email, PASSWORD)).__class__.__name__ == "SignInOkResult", "sign-in in the tenant")
    check((await ep.sign_in("public", email, PASSWORD)).__class__.__name__ == "WrongCredentialsError", "the user is not in public")
    listed_users = await st.get_users_newest_first(tenant_id, limit=100)
    check([u.id for u in listed_users.users] == [signed_up.user.id], "the tenant lists its user")
    public_users = await st.get_users_newest_first("public", limit=100)
    check(signed_up.user.id not in [u.id for u in public_users.users], "public does not list it")
    # A user in several tenants: associated with a second tenant it signs in there and lists both;
    # disassociated, it is back to the first only; its tenant deleted, it stays in no tenant.
    second = f"{tenant_id}-b"
    await mt.create_or_update_tenant(second, TenantConfigCreateOrUpdate(first_factors=["emailpassword"]))
    user_ref = RecipeUserId(signed_up.user.id)

    async def tenants_of_user():
        return sorted((await st.get_user(signed_up.user.id)).tenant_ids)

    associated = await mt.associate_user_to_tenant(second, user_ref)
    check(associated.status == "OK" and associated.was_already_associated is False, f"associate_user_to_tenant: {associated!r}")
    check((await mt.associate_user_to_tenant(second, user_ref)).was_already_associated is True, "associating twice")
    check((await ep.sign_in(second, email, PASSWORD)).__class__.__name__ == "SignInOkResult", "sign-in in the second tenant")
    check(await tenants_of_user() == sorted([tenant_id, second]), f"get_user tenant_ids: {await tenants_of_user()}")
    other_email = new_email()
    await ep.sign_up(second, other_email, PASSWORD)
    clash_user = await ep.sign_up(tenant_id, other_email, PASSWORD)
    clash = await mt.associate_user_to_tenant(second, RecipeUserId(clash_user.user.id))
    check(clash.status == "EMAIL_ALREADY_EXISTS_ERROR", f"associating a user whose email the tenant has: {clash!r}")
    removed = await mt.disassociate_user_from_tenant(second, user_ref)
    check(removed.status == "OK" and removed.was_associated is True, f"disassociate_user_from_tenant: {removed!r}")
    check((await ep.sign_in(second, email, PASSWORD)).__class__.__name__ == "WrongCredentialsError", "no sign-in in the tenant it left")
    check(await tenants_of_user() == [tenant_id], f"tenant_ids after disassociation: {await tenants_of_user()}")
    await mt.delete_tenant(second)
    deleted = await mt.delete_tenant(tenant_id)
    check(deleted.did_exist is True, f"delete_tenant: {deleted!r}")
    check(await tenants_of_user() == [], f"a deleted tenant's user: {await tenants_of_user()}")
    check(await mt.get_tenant(tenant_id) is None, "a deleted tenant is gone")
    try:
        await ep.sign_in(tenant_id, email, PASSWORD)
        refused = ""
    except Exception as err:  # the SDK raises on the core's 400
        refused = str(err)
    check("AppId or tenantId not found" in refused, f"sign-in in a deleted tenant: {refused or 'no error'}")


async def flow_passwordless():
    email = f"pl-{RUN}@example.com"
    code = await pl.create_code("public", email=email, user_input_code="246810")
    check(code.__class__.__name__ == "CreateCodeOkResult" and code.user_input_code == "246810", f"create_code: {code!r}")
    wrong = await pl.consume_code("public", code.pre_auth_session_id, user_input_code="000000", device_id=code.device_id)
    check(
        wrong.__class__.__name__ == "ConsumeCodeIncorrectUserInputCodeError"
        and wrong.failed_code_input_attempt_count == 1
        and wrong.maximum_code_input_attempts == 5,
        f"a wrong code: {wrong!r}",
    )
    resent = await pl.create_new_code_for_device("public", code.device_id, "135790")
    check(resent.__class__.__name__ == "CreateNewCodeForDeviceOkResult", f"create_new_code_for_device: {resent!r}")
    devices = await pl.list_codes_by_email("public", email)
    # The SDK reads a device's codes from `code` (the core sends `codes`), so `codes` is always empty here.
    check(
        len(devices) == 1 and devices[0].pre_auth_session_id == code.pre_auth_session_id and devices[0].failed_code_input_attempt_count == 1,
        f"list_codes_by_email: {[vars(d) for d in devices]!r}",
    )
    signed_up = await pl.consume_code("public", code.pre_auth_session_id, user_input_code="135790", device_id=code.device_id)
    check(signed_up.__class__.__name__ == "ConsumeCodeOkResult" and signed_up.created_new_recipe_user, f"consume_code: {signed_up!r}")
    method = signed_up.user.login_methods[0]
    check(method.recipe_id == "passwordless" and method.email == email and method.verified, f"login method: {method.recipe_id}")
    replay = await pl.consume_code("public", code.pre_auth_session_id, link_code=code.link_code)
    check(replay.__class__.__name__ == "ConsumeCodeRestartFlowError", f"replay: {replay!r}")
    link = await pl.create_code("public", email=email)
    signed_in = await pl.consume_code("public", link.pre_auth_session_id, link_code=link.link_code)
    check(not signed_in.created_new_recipe_user and signed_in.user.id == signed_up.user.id, "sign-in by link code")
    phone = f"+1415{os.getpid() % 10_000_000:07d}"
    phone_code = await pl.create_code("public", phone_number=phone)
    phone_user = await pl.consume_code("public", phone_code.pre_auth_session_id, link_code=phone_code.link_code)
    check(phone_user.user.phone_numbers == [phone], f"phone user: {phone_user.user.phone_numbers}")
    updated = await pl.update_user(RecipeUserId(phone_user.user.id), email=f"pl-phone-{RUN}@example.com")
    check(updated.__class__.__name__ == "UpdateUserOkResult", f"update_user: {updated!r}")
    found = await st.get_users_newest_first("public", limit=100, query={"phone": phone[:8]})
    check(phone_user.user.id in [u.id for u in found.users], "the phone search finds the user")


async def flow_account_linking():
    _, primary_id = await sign_up()
    tp_email = f"al-tp-{RUN}@example.com"
    made = await tp.manually_create_or_update_user("public", "google", f"al-{RUN}", tp_email, False)
    check(made.__class__.__name__ == "ManuallyCreateOrUpdateUserOkResult", f"third-party user: {made!r}")
    tp_id = made.user.id
    can = await al.can_create_primary_user(RecipeUserId(primary_id))
    check(can.status == "OK" and can.was_already_a_primary_user is False, f"can_create_primary_user: {vars(can)}")
    created = await al.create_primary_user(RecipeUserId(primary_id))
    check(created.status == "OK" and created.user.is_primary_user and created.user.id == primary_id, f"create_primary_user: {vars(created)}")
    not_primary = await al.can_link_accounts(RecipeUserId(primary_id), tp_id)
    check(not_primary.status == "INPUT_USER_IS_NOT_A_PRIMARY_USER", f"can_link_accounts to a non-primary user: {vars(not_primary)}")
    can_link = await al.can_link_accounts(RecipeUserId(tp_id), primary_id)
    check(can_link.status == "OK" and can_link.accounts_already_linked is False, f"can_link_accounts: {vars(can_link)}")
    linked = await al.link_accounts(RecipeUserId(tp_id), primary_id)
    check(linked.status == "OK" and linked.accounts_already_linked is False, f"link_accounts: {vars(linked)}")
    user = await st.get_user(tp_id)
    methods = [f"{m.recipe_id}:{m.recipe_user_id.get_as_string()}" for m in user.login_methods] if user else []
    check(
        user is not None and user.id == primary_id and user.is_primary_user and methods == [f"emailpassword:{primary_id}", f"thirdparty:{tp_id}"],
        f"get_user by the linked recipe user: {methods}",
    )
    check(tp_email in user.emails and len(user.third_party) == 1, f"the primary user's account infos: {user.emails}")
    s, tokens = await new_session(tp_id)
    payload = jwt_part(tokens["accessToken"], 1)
    check(
        s.get_user_id() == primary_id and s.get_recipe_user_id().get_as_string() == tp_id and payload["sub"] == primary_id and payload["rsub"] == tp_id,
        f"a linked recipe user's session: sub {payload.get('sub')}, rsub {payload.get('rsub')}",
    )
    verified = await sess.get_session_without_request_response(tokens["accessToken"])
    check(verified is not None and verified.get_user_id() == primary_id and verified.get_recipe_user_id().get_as_string() == tp_id, "get_session answers both ids")
    unlinked = await al.unlink_account(RecipeUserId(tp_id))
    check(unlinked.status == "OK" and unlinked.was_linked and not unlinked.was_recipe_user_deleted, f"unlink_account: {vars(unlinked)}")
    alone = await st.get_user(tp_id)
    check(alone is not None and alone.id == tp_id and not alone.is_primary_user and len(alone.login_methods) == 1, "the unlinked user")


async def flow_metadata():
    _, user_id = await sign_up()
    await meta.update_user_metadata(user_id, {"plan": "pro", "nested": {"a": 1}})
    await meta.update_user_metadata(user_id, {"nested": None, "seen": True})
    got = await meta.get_user_metadata(user_id)
    check(got.metadata == {"plan": "pro", "seen": True}, f"metadata: {got.metadata!r}")
    await meta.clear_user_metadata(user_id)
    check((await meta.get_user_metadata(user_id)).metadata == {}, "metadata cleared")


def totp_code(secret: str, offset_periods: int = 0, period: int = 30) -> str:
    """The code an authenticator app shows for `secret` (RFC 6238: HMAC-SHA1, 6 digits)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int(time.time() * 1000) // (period * 1000) + offset_periods
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return f"{(struct.unpack('>I', mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


async def flow_totp():
    _, user_id = await sign_up()
    # The codes below are named relative to the period of the device's verification (a code is used once):
    # they must run within one 30 s period, so start with at least 8 s of it left.
    left_in_period = 30 - (time.time() % 30)
    if left_in_period < 8:
        await asyncio.sleep(left_in_period + 0.05)
    created = await totp_fns.create_device(user_id)
    check(created.__class__.__name__ == "CreateDeviceOkResult" and created.device_name == "TOTP Device 0", f"create_device: {created!r}")
    check(created.qr_code_string.startswith("otpauth://totp/compat:"), f"qr_code_string: {created.qr_code_string}")
    secret = created.secret
    wrong = await totp_fns.verify_device("public", user_id, "TOTP Device 0", totp_code(secret, 5))
    check(
        wrong.__class__.__name__ == "InvalidTOTPError" and wrong.current_number_of_failed_attempts == 1 and wrong.max_number_of_failed_attempts == 5,
        f"a wrong code: {wrong.__dict__}",
    )
    verified = await totp_fns.verify_device("public", user_id, "TOTP Device 0", totp_code(secret))
    check(verified.__class__.__name__ == "VerifyDeviceOkResult" and not verified.was_already_verified, f"verify_device: {verified.__dict__}")
    reused = await totp_fns.verify_totp("public", user_id, totp_code(secret))
    check(reused.__class__.__name__ == "InvalidTOTPError", f"a used code: {reused.__dict__}")
    ok = await totp_fns.verify_totp("public", user_id, totp_code(secret, 1))
    check(ok.__class__.__name__ == "VerifyTOTPOkResult", f"verify_totp: {ok.__dict__}")
    unknown = await totp_fns.verify_totp("public", f"nobody-{RUN}", "123456")
    check(unknown.__class__.__name__ == "UnknownUserIdError", f"verify_totp without devices: {unknown!r}")
    check("totp" in await mfa.get_factors_setup_for_user(user_id), "get_factors_setup_for_user lists totp")
    # A required second factor (user metadata): a new session is incomplete until TOTP is marked done.
    await mfa.add_to_required_secondary_factors_for_user(user_id, "totp")
    check(await mfa.get_required_secondary_factors_for_user(user_id) == ["totp"], "get_required_secondary_factors_for_user")
    s, _ = await new_session(user_id)
    # The session's st-mfa claim, computed (and written into the session) as the MFA APIs do.
    requirements = await mfa.get_mfa_requirements_for_auth(s)
    check("totp" in json.dumps(requirements, default=str), f"get_mfa_requirements_for_auth: {requirements!r}")
    check(s.get_access_token_payload().get("st-mfa", {}).get("v") is False, f"st-mfa before TOTP: {s.get_access_token_payload().get('st-mfa')}")
    await mfa.mark_factor_as_complete_in_session(s, "totp")
    claim = s.get_access_token_payload().get("st-mfa", {})
    check(claim.get("v") is True and "totp" in claim.get("c", {}), f"st-mfa after TOTP: {claim}")
    await mfa.remove_from_required_secondary_factors_for_user(user_id, "totp")
    extra = await totp_fns.create_device(user_id, None, "laptop", 0, 60)
    check(extra.device_name == "laptop", f"create_device (named): {extra!r}")
    listed = await totp_fns.list_devices(user_id)
    check(
        [(d.name, d.period, d.skew, d.verified) for d in listed.devices] == [("TOTP Device 0", 30, 1, True), ("laptop", 60, 0, False)],
        f"list_devices: {[d.__dict__ for d in listed.devices]}",
    )
    check((await totp_fns.update_device(user_id, "laptop", "work laptop")).__class__.__name__ == "UpdateDeviceOkResult", "update_device")
    check((await totp_fns.update_device(user_id, "nope", "x")).__class__.__name__ == "UnknownDeviceError", "update_device of an unknown device")
    check((await totp_fns.update_device(user_id, "work laptop", "TOTP Device 0")).__class__.__name__ == "DeviceAlreadyExistsError", "update_device onto a taken name")
    check((await totp_fns.remove_device(user_id, "work laptop")).did_device_exist, "remove_device")
    check(not (await totp_fns.remove_device(user_id, "work laptop")).did_device_exist, "remove_device twice")
    # Required by the tenant instead (its required_secondary_factors): a session there starts incomplete.
    tenant_id = f"mfa-{RUN}"
    config = TenantConfigCreateOrUpdate(first_factors=["emailpassword"], required_secondary_factors=["totp"])
    check((await mt.create_or_update_tenant(tenant_id, config)).status == "OK", "create_or_update_tenant with required_secondary_factors")
    tenant = await mt.get_tenant(tenant_id)
    check(tenant is not None and tenant.required_secondary_factors == ["totp"], f"get_tenant: {tenant!r}")
    member = await ep.sign_up(tenant_id, new_email(), PASSWORD)
    member_session = await sess.create_new_session_without_request_response(tenant_id, RecipeUserId(member.user.id), {}, {}, True)
    await mfa.get_mfa_requirements_for_auth(member_session)
    check(member_session.get_access_token_payload().get("st-mfa", {}).get("v") is False, "st-mfa in a tenant requiring totp")
    check((await mt.delete_tenant(tenant_id)).did_exist, "delete_tenant")


FLOWS = [
    ("handshake", flow_handshake),
    ("sign-up and sign-in", flow_sign_up_in),
    ("session verify, refresh, revoke", flow_sessions),
    ("theft detection", flow_theft),
    ("email verification", flow_email_verification),
    ("password reset", flow_password_reset),
    ("roles and permissions", flow_roles),
    ("user count and search", flow_count_and_search),
    ("user id mapping", flow_user_id_mapping),
    ("third-party sign-in-up", flow_third_party),
    ("multitenancy", flow_multitenancy),
    ("passwordless", flow_passwordless),
    ("account linking", flow_account_linking),
    ("user metadata", flow_metadata),
    ("totp", flow_totp),
]


async def main():
    for name, fn in FLOWS:
        try:
            await fn()
            print("FLOW " + json.dumps({"flow": name, "ok": True}), flush=True)
        except Exception:  # noqa: BLE001 - every failure is reported, with its trace
            print("FLOW " + json.dumps({"flow": name, "ok": False, "error": traceback.format_exc()[-1500:]}), flush=True)


asyncio.run(main())
