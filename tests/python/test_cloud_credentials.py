"""The official Python SDK's cloud credentials as referees of the dev server's token endpoints
(``devserver/src/cloud_auth``): what the SDK sends to a metadata service and to an OAuth 2.0 token
exchange, and a service-account JWT made by the SDK's own ``get_jwt`` (PyJWT, PS256), must buy tokens that
then authorise real calls. The SDK's IAM credentials speak gRPC to Yandex Cloud's IAM over TLS, so for the
REST exchange the JWT is posted with ``requests``, as the REST API documents it.
"""

import os
import tempfile

import pytest
import requests
import ydb
import ydb.iam
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from ydb.oauth2_token_exchange import FixedTokenSource, JwtTokenSource, Oauth2TokenExchangeCredentials

from test_official_sdk import start_server, stop_server

METADATA_PATH = "/computeMetadata/v1/instance/service-accounts/default/token"


def key_pair(kind="RSA"):
    """A new RSA (or P-256) key: its private PEM (PKCS#8) and its public PEM (SPKI)."""
    if kind == "RSA":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private, public


@pytest.fixture(scope="module")
def cloud():
    """A dev server with every token endpoint on: its gRPC endpoint, its HTTP base URL and the keys."""
    sa_private, sa_public = key_pair()
    idp_private, idp_public = key_pair()
    ec_private, ec_public = key_pair("EC")
    with tempfile.TemporaryDirectory() as tmp:
        sa_pem, idp_pem, ec_pem = (os.path.join(tmp, name) for name in ["sa.pub", "idp.pub", "ec.pub"])
        for path, pem in [(sa_pem, sa_public), (idp_pem, idp_public), (ec_pem, ec_public)]:
            with open(path, "w") as f:
                f.write(pem)
        proc, endpoint, _ = start_server(
            "--iam-key", f"ajekey1:ajesa1:{sa_pem}",
            "--metadata-token", "ajevm1",
            "--oauth-subject", "token:fixed-subject-token",
            "--oauth-subject", f"jwt:idp-key:{idp_pem}",
            "--oauth-subject", f"jwt:idp-ec-key:{ec_pem}",
        )
        try:
            yield {
                "endpoint": endpoint,
                "http": "http://" + endpoint.split("://", 1)[1],
                "sa_private": sa_private,
                "idp_private": idp_private,
                "ec_private": ec_private,
            }
        finally:
            stop_server(proc)


def owner_of_a_new_directory(endpoint, credentials, name):
    """Connects with ``credentials``, runs a query, and returns who the server says made a directory."""
    with ydb.Driver(endpoint=endpoint, database="/local", credentials=credentials) as driver:
        driver.wait(timeout=5, fail_fast=True)
        with ydb.QuerySessionPool(driver, size=1) as pool:
            assert pool.execute_with_retries("SELECT 1 AS one")[0].rows[0].one == 1
        driver.scheme_client.make_directory(f"/local/{name}")
        return driver.scheme_client.describe_path(f"/local/{name}").owner


def test_metadata_url_credentials_get_a_token_for_the_instances_account(cloud):
    credentials = ydb.iam.MetadataUrlCredentials(metadata_url=cloud["http"] + METADATA_PATH)
    assert owner_of_a_new_directory(cloud["endpoint"], credentials, "from_metadata") == "ajevm1"


def test_a_service_account_jwt_from_the_sdk_buys_an_iam_token_over_rest(cloud):
    url = cloud["http"] + "/iam/v1/tokens"
    jwt = ydb.iam.auth.get_jwt(
        "ajesa1", "ajekey1", cloud["sa_private"], 3600, "PS256", ydb.iam.auth.YANDEX_CLOUD_IAM_TOKEN_SERVICE_URL
    )
    answer = requests.post(url, json={"jwt": jwt}, timeout=5)
    assert answer.status_code == 200, answer.text
    token = answer.json()["iamToken"]
    assert answer.json()["expiresAt"].endswith("Z")
    credentials = ydb.AccessTokenCredentials(token)
    assert owner_of_a_new_directory(cloud["endpoint"], credentials, "from_iam") == "ajesa1"

    # Another account's claim, with this key: 401 with gRPC code 16 in the body.
    forged = ydb.iam.auth.get_jwt(
        "ajesa2", "ajekey1", cloud["sa_private"], 3600, "PS256", ydb.iam.auth.YANDEX_CLOUD_IAM_TOKEN_SERVICE_URL
    )
    answer = requests.post(url, json={"jwt": forged}, timeout=5)
    assert (answer.status_code, answer.json()["code"]) == (401, 16)


def test_oauth2_token_exchange_of_a_fixed_subject_token(cloud):
    credentials = Oauth2TokenExchangeCredentials(
        token_endpoint=cloud["http"] + "/oauth/token",
        subject_token_source=FixedTokenSource("fixed-subject-token", "urn:ietf:params:oauth:token-type:access_token"),
    )
    assert owner_of_a_new_directory(cloud["endpoint"], credentials, "from_fixed") == "oauth-subject"


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256"])
def test_oauth2_token_exchange_of_a_jwt_the_sdk_signs(cloud, alg):
    credentials = Oauth2TokenExchangeCredentials(
        token_endpoint=cloud["http"] + "/oauth/token",
        subject_token_source=JwtTokenSource(
            signing_method=alg,
            private_key=cloud["ec_private" if alg == "ES256" else "idp_private"],
            key_id="idp-ec-key" if alg == "ES256" else "idp-key",
            issuer="test-idp",
            subject=f"user-{alg}@idp",
            audience="ydb",
        ),
        audience="ydb",
        scope=["a", "b"],
    )
    assert owner_of_a_new_directory(cloud["endpoint"], credentials, f"from_jwt_{alg}") == f"user-{alg}@idp"


def test_a_refused_oauth_exchange_fails_the_connection(cloud):
    credentials = Oauth2TokenExchangeCredentials(
        token_endpoint=cloud["http"] + "/oauth/token",
        subject_token_source=FixedTokenSource("a guess", "urn:ietf:params:oauth:token-type:access_token"),
    )
    with ydb.Driver(endpoint=cloud["endpoint"], database="/local", credentials=credentials) as driver:
        with pytest.raises(Exception) as raised:
            driver.wait(timeout=5, fail_fast=True)
            driver.scheme_client.list_directory("/local")
        assert "invalid_grant" in str(raised.value), raised.value
