"""One silent call of MSAL Python on an MSAL token-cache document, for the round trip
tests of interop/msalgo (python_test.go runs it with /usr/bin/python3 and Debian's
python3-msal).

Usage: msal_roundtrip.py AUTHORITY CLIENT_ID CA_BUNDLE CACHE_FILE USERNAME SCOPE

It loads CACHE_FILE into a SerializableTokenCache, builds a PublicClientApplication on
AUTHORITY (an https URL of the fake provider; instance discovery off, TLS verified
against CA_BUNDLE alone, the environment's proxies and bundles ignored), finds USERNAME's account and calls acquire_token_silent_with_error
for SCOPE. When the cache changed (MSAL refreshed), it writes it back to CACHE_FILE.
It prints one JSON object on stdout: "accounts" (the usernames MSAL lists), "error"
and "error_description" when the call failed, "access_token_sha256"
when it succeeded. Tokens themselves never reach stdout: the test compares digests.
"""
import hashlib
import json
import sys

import msal
import requests


def main(authority, client_id, ca_bundle, cache_file, username, scope):
    cache = msal.SerializableTokenCache()
    with open(cache_file, encoding="utf-8") as f:
        cache.deserialize(f.read())
    # A session of our own: trust_env off, so that REQUESTS_CA_BUNDLE or a proxy of the
    # environment cannot replace the CA bundle (requests lets the environment's bundle
    # win over Session.verify) or route loopback traffic elsewhere.
    http_client = requests.Session()
    http_client.trust_env = False
    http_client.verify = ca_bundle
    app = msal.PublicClientApplication(
        client_id, authority=authority, token_cache=cache, http_client=http_client,
        validate_authority=False, instance_discovery=False)
    accounts = app.get_accounts()
    out = {"accounts": sorted(a.get("username", "") for a in accounts)}
    account = next((a for a in accounts if a.get("username", "").lower() == username.lower()), None)
    if account is None:
        out["error"] = "no_account"
    else:
        result = app.acquire_token_silent_with_error([scope], account)
        if result is None:
            out["error"] = "no_tokens"
        elif "error" in result:
            out["error"] = result["error"]
            out["error_description"] = result.get("error_description", "")
        else:
            out["access_token_sha256"] = hashlib.sha256(result["access_token"].encode()).hexdigest()
    if cache.has_state_changed:
        with open(cache_file, "w", encoding="utf-8") as f:
            f.write(cache.serialize())
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    main(*sys.argv[1:])
