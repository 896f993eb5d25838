"""What the sync log keeps of a run's calls: failures and retries alone, successes folded."""
from marketplace_connector.lib.call_log import endpoint_template, fold_calls
from marketplace_connector.lib.transport import CallInfo


def call(endpoint, method="POST", status=200, ms=10, attempts=1, error=""):
    return CallInfo(method=method, endpoint=endpoint, url="http://mp" + endpoint, status=status,
                    duration_ms=ms, attempts=attempts, error=error)


def test_templates_stay_ids_become_placeholders():
    assert endpoint_template("/v2/campaigns/{campaignId}/orders/{orderId}/buyer") == \
        "/v2/campaigns/{campaignId}/orders/{orderId}/buyer"
    assert endpoint_template("/v2/campaigns/1234/orders/987654/buyer") == "/v2/campaigns/{id}/orders/{id}/buyer"
    assert endpoint_template("/v2/posting/12345678-0012-1") == "/v2/posting/{id}"
    assert endpoint_template("/api/v3/orders/status?x=1") == "/api/v3/orders/status"
    assert endpoint_template("/v3/posting/fbs/get") == "/v3/posting/fbs/get"
    assert endpoint_template("/api/v1/seller-info") == "/api/v1/seller-info"


def test_successes_fold_failures_and_retries_stay():
    calls = [call("/v3/posting/fbs/get", ms=10), call("/v3/posting/fbs/get", ms=30),
             call("/v3/posting/fbs/get", status=500, ms=100, attempts=2),
             call("/v4/posting/fbs/list", ms=5),
             call("/v3/posting/fbs/get", status=404, ms=7, error="HTTP 404: not found"),
             call("/v2/campaigns/1/orders/2/buyer", method="GET", ms=3),
             call("/v2/campaigns/1/orders/3/buyer", method="GET", ms=4)]
    singles, folded = fold_calls(calls)
    assert [(c.status, c.attempts) for c in singles] == [(500, 2), (404, 1)]
    assert list(folded) == [("POST", "/v3/posting/fbs/get"), ("POST", "/v4/posting/fbs/list"),
                            ("GET", "/v2/campaigns/{id}/orders/{id}/buyer")]
    get = folded[("POST", "/v3/posting/fbs/get")]
    assert (get.call_count, get.duration_ms, get.max_duration_ms, get.status) == (2, 40, 30, 200)
    assert folded[("GET", "/v2/campaigns/{id}/orders/{id}/buyer")].call_count == 2
