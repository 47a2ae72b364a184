"""Hypothesis strategies for bundles as enterprises write them: districts, each clause's facts, earlier
awards (shared by the property tests of the rules, the rendering and the start-up)."""

from __future__ import annotations

import datetime

from hypothesis import strategies as st

DISTRICTS = [
    "中原区",
    "二七区",
    "管城区",
    "金水区",
    "上街区",
    "惠济区",
    "中牟县",
    "巩义市",
    "荥阳市",
    "新密市",
    "新郑市",
    "登封市",
    "郑东新区",
    "高新区",
    "经开区",
    "航空港区",
]


def money(lo: int, hi: int):  # type: ignore[no-untyped-def]
    """Amounts in cents between lo and hi yuan, as the decimal strings enterprises write."""
    return st.integers(min_value=lo * 100, max_value=hi * 100).map(lambda c: f"{c // 100}.{c % 100:02d}")


flag = st.booleans()
date = st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2026, 12, 31)).map(lambda d: d.isoformat())
FACTS = {
    1: st.fixed_dictionaries({"import_export": money(0, 30_000_000), "promotion_costs": money(0, 3_000_000)}),
    2: st.fixed_dictionaries(
        {
            "payment_license": flag,
            "hq_level": st.sampled_from(["national", "regional", "none"]),
            "cbec_settlement": money(0, 20_000_000_000),
        }
    ),
    3: st.fixed_dictionaries(
        {
            "hq_level": st.sampled_from(["national", "regional", "none"]),
            "settled_on": date,
            "cbec_import_export": money(0, 2_000_000_000),
        }
    ),
    4: st.fixed_dictionaries({"uses_own_customs_code": flag}),
    5: st.fixed_dictionaries(
        {
            "served_cbec_enterprises": st.integers(0, 100),
            "revenue": money(0, 60_000_000),
            "revenue_prior_year": money(0, 60_000_000),
        }
    ),
    6: st.fixed_dictionaries(
        {"uses_zz_logistics": flag, "import_export": money(0, 50_000_000), "intl_logistics_costs": money(0, 30_000_000)}
    ),
    7: st.fixed_dictionaries(
        {
            "served_zz_cbec_enterprises": st.integers(0, 300),
            "clearance_orders": st.integers(0, 100_000_000),
            "import_export": money(0, 10_000_000_000),
        }
    ),
    8: st.fixed_dictionaries(
        {"park_cbec_enterprises": st.integers(0, 50), "park_foreign_trade": money(0, 12_000_000_000)}
    ),
    9: st.fixed_dictionaries(
        {
            "demo_park_level": st.sampled_from(["national", "provincial", "none"]),
            "cbec_import_export": money(0, 200_000_000),
            "service_revenue": money(0, 40_000_000),
            "service_fees": st.dictionaries(
                st.sampled_from(["rent", "property_management", "bonded_warehousing", "other", "utilities"]),
                money(0, 1_000_000),
            ),
        }
    ),
    10: st.fixed_dictionaries({"in_incubation_program": flag, "requested": money(0, 30_000)}),
    11: st.fixed_dictionaries(
        {
            "competition_name": st.sampled_from(["甲赛", "乙赛"]),
            "competition_approved": flag,
            "held_in_zhengzhou": flag,
            "requested": money(0, 400_000),
        }
    ),
    12: st.fixed_dictionaries(
        {"store_area_m2": money(0, 5000), "opened_on": date, "cbec_retail_import": money(0, 60_000_000)}
    ),
    13: st.fixed_dictionaries({"overseas_warehouse": st.just("海外仓")}),
    14: st.fixed_dictionaries({"brand_activity": st.just("品牌")}),
}
prior = st.lists(
    st.fixed_dictionaries(
        {
            "clause": st.integers(1, 12).filter(lambda c: c not in (4, 11)),
            "year": st.sampled_from([2025, 2026]),
            "amount": money(1, 3_000_000),
        }
    ),
    max_size=3,
)
claims = st.integers(1, 14).flatmap(lambda n: FACTS[n].map(lambda f: (n, f)))
