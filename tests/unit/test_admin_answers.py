"""The admin client given answers no Qlik tenant sends (a wrong URL, a proxy in between):
a TenantError naming the URL, never a traceback. The tenant here is an httpx transport."""

from __future__ import annotations

import httpx
import pytest

from qlik_jwt.admin import TenantClient, jwt_login
from qlik_jwt.errors import TenantError


def client(answer: httpx.Response) -> TenantClient:
    """A client whose tenant logs anyone in and answers ``answer`` to everything else."""

    def tenant(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/login/jwt-session":
            return httpx.Response(200, json={}, headers={"Set-Cookie": "eas.sid=s; Path=/"})
        return answer

    return TenantClient("https://t.example.com", api_key="k", transport=httpx.MockTransport(tenant))


@pytest.mark.parametrize("body", [[1, 2], "text", 3])
def test_a_list_answer_that_is_not_a_list_page(body: object) -> None:
    with (
        client(httpx.Response(200, json=body)) as tenant,
        pytest.raises(TenantError, match="where Qlik sends a list page") as caught,
    ):
        list(tenant.paginate("/api/v1/web-integrations"))
    assert "https://t.example.com/api/v1/web-integrations" in str(caught.value)


def test_odd_links_end_the_list() -> None:
    page = {"data": [{"id": "a"}], "links": ["next"]}
    with client(httpx.Response(200, json=page)) as tenant:
        assert list(tenant.paginate("/api/v1/web-integrations")) == [{"id": "a"}]


def test_a_users_me_answer_that_is_not_json() -> None:
    with (
        client(httpx.Response(200, text="<html>sign in</html>")) as tenant,
        pytest.raises(TenantError, match="answered without a user id"),
    ):
        jwt_login(tenant, "a.b.c")
