"""The enterprises of 免申即享's table tests, each with the status and amounts a policy officer expects per
clause (shared by the row engine's tests and the SQL engines' equality test)."""

from __future__ import annotations

from conftest import uscc


def ent(n: int, district: str = "金水区", **facts) -> dict:
    return {"uscc": uscc(700 + n), "name": f"郑州免申企业{n}有限公司", "district": district, "year": "2026", **facts}


# Every clause, every status, each threshold exactly at and just short of its boundary word.
# (row number in the table, the enterprise, {clause: (status, amount, city, local)})
CASES = [
    (
        ent(1, import_export="10000000", promotion_costs="800000"),  # 达到…以上: exactly 1,000万 qualifies
        {1: ("eligible", "240000.00", "120000.00", "120000.00")},
    ),
    (ent(2, import_export="9999999.99", promotion_costs="800000"), {1: ("not_eligible", "0.00", "", "")}),
    (
        ent(3, payment_license="是", hq_level="national", cbec_settlement="10000000000"),  # 不低于
        {2: ("eligible", "5000000.00", "2500000.00", "2500000.00")},
    ),
    (
        ent(4, hq_level="regional", settled_on="2025-01-01", cbec_import_export="500000000.01"),  # 超过
        {3: ("eligible", "2000000.00", "1000000.00", "1000000.00")},
    ),
    (
        ent(5, hq_level="regional", settled_on="2025-01-01", cbec_import_export="500000000"),
        {3: ("not_eligible", "0.00", "", "")},
    ),
    (
        ent(6, served_cbec_enterprises="30", revenue="11000000", revenue_prior_year="10000000"),  # growth exactly 10%
        {5: ("eligible", "330000.00", "165000.00", "165000.00")},
    ),
    (
        ent(7, "航空港区", uses_zz_logistics="true", import_export="20000000", intl_logistics_costs="2000000"),
        {6: ("eligible", "200000.00", "40000.00", "160000.00")},
    ),  # 航空港区: city 20%, local 80%
    (
        ent(8, uses_zz_logistics="否", import_export="20000000", intl_logistics_costs="2000000"),
        {6: ("not_eligible", "0.00", "", "")},
    ),
    (
        ent(9, served_zz_cbec_enterprises="100", clearance_orders="50000000", import_export="5000000000"),
        {7: ("eligible", "2500000.00", "2500000.00", "0.00")},
    ),  # city pays clause 7 alone
    (
        ent(10, park_cbec_enterprises="21", park_foreign_trade="2000000000"),  # 超过 20 家
        {8: ("eligible", "100000.00", "50000.00", "50000.00")},
    ),
    (ent(11, park_cbec_enterprises="20", park_foreign_trade="2000000000"), {8: ("not_eligible", "0.00", "", "")}),
    (
        ent(
            12,
            demo_park_level="provincial",
            cbec_import_export="100000000.01",
            service_revenue="0",
            **{"service_fees.rent": "300000", "service_fees.utilities": "50000"},
        ),  # 不含水电费
        {9: ("eligible", "180000.00", "90000.00", "90000.00")},
    ),
    (ent(13, in_incubation_program="1", requested="10000"), {10: ("eligible", "10000.00", "5000.00", "5000.00")}),
    (
        ent(
            14,
            competition_name="第二届郑州跨境电商创新大赛",
            competition_approved="TRUE",
            held_in_zhengzhou="是",
            requested="200000",
        ),
        {11: ("eligible", "200000.00", "200000.00", "0.00")},
    ),
    (
        ent(15, store_area_m2="1000.01", opened_on="2025-01-01", cbec_retail_import="30000000.01"),
        {12: ("eligible", "300003.00", "150001.50", "150001.50")},
    ),
    (
        ent(16, store_area_m2="1000", opened_on="2025-01-01", cbec_retail_import="30000000.01"),
        {12: ("not_eligible", "0.00", "", "")},
    ),
    (
        ent(17, import_export="30000000", promotion_costs="800000", etrade_core_zone_policy="是"),
        {1: ("excluded", "0.00", "", ""), 4: ("referred", "0.00", "", "")},
    ),
    (
        ent(18, import_export="30000000", promotion_costs="800000", etrade_core_zone_policy="false"),  # on the list
        {1: ("excluded", "0.00", "", "")},
    ),
    (
        ent(19, import_export="12000000"),  # the bureau knows the trade, not the promotion costs
        {1: ("undecided", "0.00", "", ""), 13: ("referred", "0.00", "", ""), 14: ("referred", "0.00", "", "")},
    ),
    (
        ent(20, "上街区", import_export="30000000", promotion_costs="800000"),  # clause 16 does not name 上街区
        {1: ("eligible", "240000.00", "", "")},
    ),
]
