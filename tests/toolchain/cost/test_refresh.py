"""Refreshing prices from the AWS Price List API, driven through botocore's Stubber (moto has no
pricing API): queries, pagination, tier choice, kept prices, the written file, and errors."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from agents.cli.main import main
from toolchain.cost import CostError, load_prices
from toolchain.cost.prices import parse_prices
from toolchain.cost.refresh import _template_keys, query_for, refresh_prices, write_price_file

M7G = "ec2:instance-hour:m7g.large"
NAT = "vpc:nat-gateway-hour"
TRAIL = "cloudtrail:management-events-100k"
PI = "rds:performance-insights-vcpu-month:first"


def product(usage_type: str, sku: str, *dims: tuple[str, str]) -> str:
    """A Price List entry as get_products returns it: a JSON string. dims: (beginRange, USD)."""
    return json.dumps(
        {
            "product": {"sku": sku, "attributes": {"usagetype": usage_type}},
            "terms": {
                "OnDemand": {
                    f"{sku}.JRTCKXETXF": {
                        "priceDimensions": {
                            f"{sku}.JRTCKXETXF.{i}": {
                                "beginRange": begin,
                                "unit": "Hrs",
                                "pricePerUnit": {"USD": usd},
                            }
                            for i, (begin, usd) in enumerate(dims)
                        }
                    }
                }
            },
        }
    )


def base_book(tmp_path):
    doc = {
        "schema": 1,
        "date": "2026-01-01",
        "hoursPerMonth": 730,
        "sources": {"old": {"title": "old", "retrieved": "2026-01-01"}},
        "regions": {
            "us-east-1": {
                "prices": {
                    key: {
                        "usd": usd,
                        "unit": "x",
                        "service": "s",
                        "usageType": "u",
                        "source": "old",
                    }
                    for key, usd in ((M7G, 0.08), (NAT, 0.045), (TRAIL, 2.0), (PI, 1.5))
                }
            }
        },
    }
    path = tmp_path / "aws-prices-2026-01-01.json"
    path.write_text(json.dumps(doc))
    return parse_prices(doc, path)


def params(key: str, region: str = "us-east-1", token: str | None = None) -> dict:
    q = query_for(key, region)
    assert q is not None
    filters = [{"Type": "CONTAINS", "Field": "usagetype", "Value": q.contains}]
    filters.append({"Type": "TERM_MATCH", "Field": "regionCode", "Value": region})
    filters += [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in q.attributes.items()]
    p = {"ServiceCode": q.service, "Filters": filters, "FormatVersion": "aws_v1", "MaxResults": 100}
    if token:
        p["NextToken"] = token
    return p


@pytest.fixture
def client():
    c = boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    with Stubber(c) as stub:
        c.stub = stub
        yield c
        stub.assert_no_pending_responses()


def stub_all(stub) -> None:
    # m7g.large: two pages; a reserved-capacity product that must not match; then the real one
    stub.add_response(
        "get_products",
        {
            "PriceList": [product("BoxUsage:m7g.large-Reserved", "AAA", ("0", "0.05"))],
            "NextToken": "p2",
        },
        params(M7G),
    )
    stub.add_response(
        "get_products",
        {"PriceList": [product("BoxUsage:m7g.large", "BBB", ("0", "0.0833"))]},
        params(M7G, token="p2"),
    )
    # NAT gateway hours: unchanged
    stub.add_response(
        "get_products",
        {"PriceList": [product("USE1-NatGateway-Hours", "CCC", ("0", "0.045"))]},
        params(NAT),
    )
    # CloudTrail: a free tier first, then the paid rate per event
    stub.add_response(
        "get_products",
        {"PriceList": [product("USE1-PaidEventsRecorded", "DDD", ("0", "0"), ("1000", "0.00002"))]},
        params(TRAIL),
    )


def test_refresh_updates_queried_prices_and_keeps_the_rest(tmp_path, client):
    stub_all(client.stub)
    doc, outcomes = refresh_prices(["us-east-1"], base_book(tmp_path), client, today="2026-11-30")
    table = doc["regions"]["us-east-1"]["prices"]
    assert table[M7G]["usd"] == 0.0833 and table[M7G]["sku"] == "BBB"
    assert table[M7G]["usageType"] == "BoxUsage:m7g.large"
    assert table[TRAIL]["usd"] == pytest.approx(2.0)  # $0.00002 per event x 100,000
    status = {o.key: o.status for o in outcomes}
    assert status == {
        M7G: "updated",
        NAT: "unchanged",
        TRAIL: "unchanged",
        PI: "kept (no Price List query)",
    }
    assert table[PI]["usd"] == 1.5 and doc["date"] == "2026-11-30"


def test_refreshed_file_is_written_dated_and_loads(tmp_path, client):
    stub_all(client.stub)
    doc, _ = refresh_prices(["us-east-1"], base_book(tmp_path), client, today="2026-11-30")
    out = tmp_path / "out"
    path = write_price_file(doc, out)
    assert path.name == "aws-prices-2026-11-30.json"
    assert load_prices(path).usd("us-east-1", M7G) == 0.0833
    assert [p.name for p in out.iterdir()] == [path.name]  # no temporary file left behind


def test_price_not_returned_is_kept_and_reported(tmp_path, client):
    for key in (M7G, NAT, TRAIL):
        client.stub.add_response("get_products", {"PriceList": []}, params(key))
    doc, outcomes = refresh_prices(["us-east-1"], base_book(tmp_path), client, today="2026-11-30")
    assert {o.status for o in outcomes if o.key != PI} == {"kept (not found)"}
    assert doc["regions"]["us-east-1"]["prices"][M7G]["usd"] == 0.08


def test_api_error_is_a_one_line_cost_error(tmp_path, client):
    client.stub.add_client_error(
        "get_products",
        service_error_code="AccessDeniedException",
        service_message="no pricing:GetProducts",
    )
    with pytest.raises(CostError, match="AccessDeniedException") as err:
        refresh_prices(["us-east-1"], base_book(tmp_path), client)
    assert "\n" not in str(err.value)


def test_new_region_gets_every_price_key(tmp_path, prices):
    # a region not yet in the file takes the key list of the first one (with its own transfer keys)
    keys = _template_keys(prices, "eu-west-1", ["eu-west-1"])
    assert "ec2:instance-hour:m7g.large" in keys
    assert {k for k in keys if k.startswith("datatransfer:inter-region")} == {
        "datatransfer:inter-region-gb:us-east-1",
        "datatransfer:inter-region-gb:us-west-2",
    }


def test_every_committed_price_has_a_query_except_the_estimates(prices):
    for key, p in prices.regions["us-east-1"].items():
        assert (query_for(key, "us-east-1") is None) == p.estimate, key


def test_bad_region_name(tmp_path):
    with pytest.raises(CostError, match="not an AWS region"):
        refresh_prices(["mars-1"], base_book(tmp_path), client=object())


def test_command_line_writes_the_new_file(tmp_path, client, monkeypatch, capsys):
    stub_all(client.stub)
    base = base_book(tmp_path)
    monkeypatch.setattr(boto3, "client", lambda *a, **k: client)
    rc = main(
        ["cost", "refresh-prices", "--region", "us-east-1", "--prices", str(base.path),
         "--out-dir", str(tmp_path / "new")]
    )  # fmt: skip
    assert rc == 0
    out = capsys.readouterr().out
    assert "4 prices, 1 changed, 1 not refreshed" in out
    assert len(list((tmp_path / "new").glob("aws-prices-*.json"))) == 1


def _dims(usd: object, begin: object = "0") -> dict:
    return {"beginRange": begin, "unit": "Hrs", "pricePerUnit": {"USD": usd}}


def _entry(*dims: dict, usage_type: str = "BoxUsage:m7g.large") -> str:
    return json.dumps(
        {
            "product": {"sku": "BAD", "attributes": {"usagetype": usage_type}},
            "terms": {
                "OnDemand": {"BAD.T": {"priceDimensions": {str(i): d for i, d in enumerate(dims)}}}
            },
        }
    )


def _shaped(product: object = None, terms: object = None) -> str:
    """An entry whose product or terms have the shape given (by default: the usual ones)."""
    if product is None:
        product = {"sku": "BAD", "attributes": {"usagetype": "BoxUsage:m7g.large"}}
    return json.dumps({"product": product, "terms": {} if terms is None else terms})


@pytest.mark.parametrize(
    "entry",
    [
        "{not json",
        "[" * 100_000 + "]" * 100_000,  # nested past the decoder's depth
        json.dumps(["a list, not a product"]),
        json.dumps("a string"),
        _entry(_dims("abc")),
        _entry(_dims("inf")),
        _entry(_dims("NaN")),
        _entry(_dims("-0.5")),
        _entry(_dims(None)),  # no USD at all: not a free tier
        _entry(_dims(True)),
        _entry(_dims({"nested": 1})),
        _entry(_dims("0.08", begin="x")),
        _entry(_dims("0.08"), _dims("1e999", begin="100")),  # a later tier unreadable
        _entry(_dims(10**400)),  # a JSON integer past a float's range: float() raises
        # float() reads these, the API writes none of them: "0.0416000000" is its form
        _entry(_dims("1_000")),
        _entry(_dims(" 1.5 ")),
        _entry(_dims("\u0661\u0662")),  # Arabic-Indic digits
        _entry(_dims("1e-400")),  # a non-zero price read as zero: a free tier
        _entry(_dims("0"), _dims("0.08", begin="1,000")),
        # a field present in another shape is not one left out (no price, the old one kept)
        _shaped(terms="OnDemand"),
        _shaped(terms={"OnDemand": ["BAD.T"]}),
        _shaped(terms={"OnDemand": {"BAD.T": "0.08"}}),
        _shaped(terms={"OnDemand": {"BAD.T": {"priceDimensions": "0.08"}}}),
        _shaped(
            terms={
                "OnDemand": {
                    "BAD.T": {"priceDimensions": {"0": {"beginRange": "0", "pricePerUnit": "1"}}}
                }
            }
        ),
        _shaped(product={"sku": "BAD", "attributes": ["BoxUsage:m7g.large"]}),
        _shaped(product="BAD"),
    ],
)
def test_an_unreadable_price_list_entry_refuses_the_refresh(tmp_path, client, entry):
    # fail closed: a reply that cannot be read is never taken for "no price" (the old one kept
    # silently), zero (a free tier) or infinity; the refresh stops with one line, no traceback
    client.stub.add_response("get_products", {"PriceList": [entry]}, params(M7G))
    with pytest.raises(CostError, match="AWS Price List API") as err:
        refresh_prices(["us-east-1"], base_book(tmp_path), client, today="2026-11-30")
    assert "\n" not in str(err.value)
    assert len(str(err.value)) < 200


def test_a_readable_entry_beside_the_checks_still_prices(tmp_path, client):
    # the same shapes as above with good numbers are read: numbers as JSON numbers too
    client.stub.add_response(
        "get_products",
        {"PriceList": [_entry(_dims(0, begin=0), _dims(0.0833, begin=750))]},
        params(M7G),
    )
    for key in (NAT, TRAIL):
        client.stub.add_response("get_products", {"PriceList": []}, params(key))
    doc, _ = refresh_prices(["us-east-1"], base_book(tmp_path), client, today="2026-11-30")
    assert doc["regions"]["us-east-1"]["prices"][M7G]["usd"] == 0.0833


@pytest.mark.parametrize(("usd", "price"), [("8.33E-2", 0.0833), ("0.0e-400", None)])
def test_a_price_in_exponent_form_is_read_unless_it_rounds_away(tmp_path, client, usd, price):
    # an exponent the API might write is a price; a zero written so is the free tier it says
    # (passed over: no priced tier, the old price kept); only non-zero digits read as zero refuse
    client.stub.add_response("get_products", {"PriceList": [_entry(_dims(usd))]}, params(M7G))
    for key in (NAT, TRAIL):
        client.stub.add_response("get_products", {"PriceList": []}, params(key))
    doc, _ = refresh_prices(["us-east-1"], base_book(tmp_path), client, today="2026-11-30")
    assert doc["regions"]["us-east-1"]["prices"][M7G]["usd"] == (price or 0.08)


def test_command_line_refuses_an_unreadable_reply_and_writes_nothing(
    tmp_path, client, monkeypatch, capsys
):
    client.stub.add_response(
        "get_products", {"PriceList": [_entry(_dims("\x1b[31mfree"))]}, params(M7G)
    )
    base = base_book(tmp_path)
    monkeypatch.setattr(boto3, "client", lambda *a, **k: client)
    out_dir = tmp_path / "new"
    rc = main(
        ["cost", "refresh-prices", "--region", "us-east-1", "--prices", str(base.path),
         "--out-dir", str(out_dir)]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2
    assert "not a price" in err and "\x1b" not in err  # the reply's text is escaped
    assert not out_dir.exists() or not any(out_dir.iterdir())


def test_a_product_without_on_demand_terms_is_not_found_not_refused(tmp_path, client):
    # a field the reply leaves out is not one in another shape: the price is kept and reported
    reserved = _shaped(terms={"Reserved": {"BAD.R": {"priceDimensions": {}}}})
    client.stub.add_response("get_products", {"PriceList": [reserved]}, params(M7G))
    for key in (NAT, TRAIL):
        client.stub.add_response("get_products", {"PriceList": []}, params(key))
    _, outcomes = refresh_prices(["us-east-1"], base_book(tmp_path), client, today="2026-11-30")
    assert {o.key: o.status for o in outcomes}[M7G] == "kept (not found)"


class _Replies:
    """A client whose get_products answers `pages` in turn, whatever their shape."""

    def __init__(self, *pages: object) -> None:
        self.pages = list(pages)

    def get_products(self, **_: object) -> object:
        return self.pages.pop(0)


@pytest.mark.parametrize(
    "page",
    [None, "a page", ["a page"], {"PriceList": 5}, {"PriceList": "[]"}],
    ids=["null", "text", "list", "number", "text-list"],
)
def test_a_page_of_another_shape_refuses_the_refresh(tmp_path, page):
    with pytest.raises(CostError, match="not a list of products; no price file written"):
        refresh_prices(["us-east-1"], base_book(tmp_path), _Replies(page), today="2026-11-30")


@pytest.mark.parametrize("token", ["p2", ["p2"], 5])
def test_a_next_token_that_is_not_a_new_page_refuses_the_refresh(tmp_path, token):
    # the same token again would page forever (botocore's paginators refuse it too)
    pages = ({"PriceList": [], "NextToken": "p2"}, {"PriceList": [], "NextToken": token})
    with pytest.raises(CostError, match="NextToken is not a new page's"):
        refresh_prices(["us-east-1"], base_book(tmp_path), _Replies(*pages), today="2026-11-30")


def _raw_client(body: bytes):
    """A real pricing client whose every get_products reply is `body` (HTTP 200), parsed by
    botocore as the API's would be."""
    c = boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )

    class Raw:
        def stream(self, **_: object):
            yield body

    def send(request, **_):
        return AWSResponse(request.url, 200, {"content-type": "application/x-amz-json-1.1"}, Raw())

    c.meta.events.register("before-send.pricing.GetProducts", send)
    return c


@pytest.mark.parametrize(
    "body",
    [b'{"PriceList": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", b"null", b'{"PriceList": 5}'],
    ids=["nested-past-the-decoder", "null", "price-list-a-number"],
)
def test_a_reply_botocore_cannot_parse_refuses_the_refresh(tmp_path, body):
    # botocore raises RecursionError, AttributeError or TypeError out of get_products for these
    with pytest.raises(CostError, match="reply that could not be read") as err:
        refresh_prices(["us-east-1"], base_book(tmp_path), _raw_client(body), today="2026-11-30")
    assert "\n" not in str(err.value)


def test_a_price_past_a_float_once_scaled_refuses_the_refresh(tmp_path, client):
    # $1e305 an event is a finite number; x 100,000 events it is not: never written as Infinity
    for key in (M7G, NAT):
        client.stub.add_response("get_products", {"PriceList": []}, params(key))
    big = product("USE1-PaidEventsRecorded", "DDD", ("0", "1" + "0" * 305))
    client.stub.add_response("get_products", {"PriceList": [big]}, params(TRAIL))
    with pytest.raises(CostError, match="'DDD': 1e\\+305 x 100000 is not a price"):
        refresh_prices(["us-east-1"], base_book(tmp_path), client, today="2026-11-30")


def test_command_line_refuses_a_reply_botocore_cannot_parse(tmp_path, monkeypatch, capsys):
    deep = b'{"PriceList": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    raw = _raw_client(deep)
    monkeypatch.setattr(boto3, "client", lambda *a, **k: raw)
    base, out_dir = base_book(tmp_path), tmp_path / "new"
    rc = main(
        ["cost", "refresh-prices", "--region", "us-east-1", "--prices", str(base.path),
         "--out-dir", str(out_dir)]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    assert err.splitlines()[1:] == [
        "error: AWS Price List API: a AmazonEC2 reply that could not be read (RecursionError); "
        "no price file written"
    ]
    assert not out_dir.exists() or not any(out_dir.iterdir())
