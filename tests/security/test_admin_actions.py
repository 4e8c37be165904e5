"""A tampered admin list action is a 400 on every model of the admin, never a 500."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client

from caselog.admin_site import SafeActionsMixin
from cases.models import CaseState
from tests.conftest import make_case, make_user

TAMPERED = ["abc", "1e3", "", "99999999999999999999999", "²", "1 OR 1=1"]


@pytest.fixture
def superuser_client(db) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(make_user("root@example.com", is_staff=True, is_superuser=True))
    return client


def _actions(model_admin, client) -> list[str]:
    request = client.get("/admin/").wsgi_request
    return [name for name in model_admin.get_actions(request) if name != "action_checkbox"]


def test_every_registered_admin_refuses_a_malformed_selection():
    assert admin.site._registry
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, SafeActionsMixin), model


@pytest.mark.parametrize("value", TAMPERED)
def test_a_tampered_selection_is_a_400_for_every_action(superuser_client, value):
    tried = 0
    for model, model_admin in admin.site._registry.items():
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for action in _actions(model_admin, superuser_client):
            response = superuser_client.post(
                url, {"action": action, ACTION_CHECKBOX_NAME: [value], "index": 0}
            )
            assert response.status_code == 400, (url, action, value)
            tried += 1
    assert tried >= 4


def test_a_valid_selection_still_runs_the_action(superuser_client, account, seller):
    case = make_case(account, owner=seller, state=CaseState.ANSWERED)
    response = superuser_client.post(
        "/admin/cases/case/",
        {"action": "resolve_cases", ACTION_CHECKBOX_NAME: [case.pk], "index": 0, "apply": "1"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED
