"""Column roles: recognised names, explicit names, and hints when they are missing."""

from __future__ import annotations

import pytest

from segwise.exceptions import ColumnNotFoundError
from segwise.io.roles import detect_roles

ONLINE_RETAIL = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
]
ONLINE_RETAIL_II = [
    "Invoice",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "Price",
    "Customer ID",
    "Country",
]


@pytest.mark.parametrize(
    "columns", [ONLINE_RETAIL, ONLINE_RETAIL_II], ids=["online-retail", "online-retail-ii"]
)
def test_online_retail_names_are_recognised(columns: list[str]) -> None:
    roles = detect_roles("transactions", columns)
    assert roles.columns["customer_id"] == columns[6]
    assert roles.columns["order_id"] == columns[0]
    assert roles.columns["unit_price"] == columns[5]
    assert roles.columns["product"] == "StockCode"
    assert roles.amount_is_computed


def test_plain_names_and_an_amount_column() -> None:
    roles = detect_roles("transactions", ["customer_id", "order_date", "amount", "quantity"])
    assert roles.columns == {
        "customer_id": "customer_id",
        "timestamp": "order_date",
        "amount": "amount",
        "quantity": "quantity",
    }
    assert not roles.amount_is_computed


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (
            ["N° client", "Date de commande", "Montant TTC", "N° commande", "Quantité"],
            ("N° client", "Date de commande", "Montant TTC", "N° commande", "Quantité"),
        ),
        (
            ["Kundennummer", "Bestelldatum", "Betrag", "Bestellnummer", "Menge"],
            ("Kundennummer", "Bestelldatum", "Betrag", "Bestellnummer", "Menge"),
        ),
        (
            ["Cliente", "Fecha", "Importe", "Pedido", "Cantidad"],
            ("Cliente", "Fecha", "Importe", "Pedido", "Cantidad"),
        ),
        (
            ["Klant", "Orderdatum", "Bedrag", "Bestelnummer", "Aantal"],
            ("Klant", "Orderdatum", "Bedrag", "Bestelnummer", "Aantal"),
        ),
    ],
    ids=["french", "german", "spanish", "dutch"],
)
def test_exports_in_other_languages_are_recognised(
    columns: list[str], expected: tuple[str, ...]
) -> None:
    roles = detect_roles("transactions", columns)
    found = tuple(
        roles.columns[r] for r in ("customer_id", "timestamp", "amount", "order_id", "quantity")
    )
    assert found == expected


def test_english_names_come_before_other_languages() -> None:
    roles = detect_roles("transactions", ["client", "customer_id", "date", "montant", "amount"])
    assert (roles.columns["customer_id"], roles.columns["amount"]) == ("customer_id", "amount")


def test_explicit_names_win_over_recognised_ones() -> None:
    roles = detect_roles(
        "transactions",
        ["client", "customer_id", "day", "total"],
        {"customer_id": "client", "timestamp": "day", "amount": "total"},
    )
    assert roles.columns["customer_id"] == "client"


def test_missing_required_column_suggests_the_closest() -> None:
    with pytest.raises(ColumnNotFoundError) as info:
        detect_roles("transactions", ["CustmerID", "InvoiceDate", "amount"], source="orders.csv")
    message = str(info.value)
    assert message.startswith("orders.csv: no customer id column found")
    assert "did you mean 'CustmerID'?" in message.lower().replace("custmerid", "CustmerID")
    assert "--customer-col" in message


def test_unknown_explicit_column_gets_did_you_mean() -> None:
    with pytest.raises(ColumnNotFoundError, match=r"(?i)did you mean 'CustomerID'"):
        detect_roles("transactions", ONLINE_RETAIL, {"customer_id": "CustomerId"})


def test_one_column_header_points_at_the_delimiter() -> None:
    with pytest.raises(ColumnNotFoundError, match="looks ';'-separated: pass --delimiter ';'"):
        detect_roles("transactions", ["customer_id;date;amount"])


def test_a_bare_id_is_a_customer_only_in_customer_tables() -> None:
    assert detect_roles("customers", ["id", "age"]).columns["customer_id"] == "id"
    with pytest.raises(ColumnNotFoundError):
        detect_roles("transactions", ["id", "date", "amount"])


@pytest.mark.parametrize(
    ("columns", "record_id"),
    [
        (["Record ID", "First Name", "Email", "Create Date", "Lifecycle Stage"], "Record ID"),
        (["Klaviyo ID", "Email", "First Name", "Created"], "Klaviyo ID"),
        (["Email", "Profile ID", "Phone Number"], "Profile ID"),
    ],
)
def test_a_crm_exports_record_id_is_the_customer_of_a_customer_table(
    columns: list[str], record_id: str
) -> None:
    assert detect_roles("customers", columns).columns["customer_id"] == record_id
    # In an orders export it numbers the rows: never taken for the customer.
    with pytest.raises(ColumnNotFoundError):
        detect_roles("transactions", [record_id, "date", "amount"])


def test_an_export_known_by_e_mail_is_pointed_at_its_e_mail_column() -> None:
    shop = ["Name", "Email", "Created at", "Total", "Billing Email"]
    with pytest.raises(ColumnNotFoundError) as info:
        detect_roles("transactions", shop, source="orders_export.csv")
    # Never taken as the id unasked (the store would hold addresses), but named.
    assert "may know them by e-mail: --customer-col 'Email'" in str(info.value)
    with pytest.raises(ColumnNotFoundError) as info:
        detect_roles("transactions", ["Name", "Created at", "Total"])
    assert "e-mail" not in str(info.value)


def test_an_orders_status_is_its_payment_not_its_shipment() -> None:
    found = detect_roles("transactions", ["id", "Order Status", "Date", "Total", "customer"])
    assert found.columns["order_status"] == "Order Status"
    shipped = detect_roles("transactions", ["customer", "Date", "Total", "Fulfillment Status"])
    assert "order_status" not in shipped.columns


def test_a_named_converted_amount_is_not_read_in_the_charges_currency() -> None:
    columns = ["Customer ID", "Created (UTC)", "Amount", "Currency", "Converted Amount"]
    found = detect_roles("transactions", columns)
    assert (found.columns["timestamp"], found.columns["currency_column"]) == (
        "Created (UTC)",
        "Currency",
    )
    named = detect_roles("transactions", columns, {"amount": "Converted Amount"})
    assert "currency_column" not in named.columns


def test_shop_exports_totals_and_e_mails_are_recognised() -> None:
    woo = ["Order Number", "Order Status", "Order Date", "Email (Billing)", "Order Total Amount"]
    with pytest.raises(ColumnNotFoundError, match=r"by e-mail: --customer-col 'Email \(Billing\)'"):
        detect_roles("transactions", woo)
    found = detect_roles("transactions", woo, {"customer_id": "Email (Billing)"}).columns
    assert (found["amount"], found["order_id"], found["order_status"], found["timestamp"]) == (
        "Order Total Amount",
        "Order Number",
        "Order Status",
        "Order Date",
    )
    magento = ["ID", "Purchase Date", "Customer Email", "Grand Total (Purchased)"]
    magento.append("Grand Total (Base)")
    found = detect_roles("transactions", magento, {"customer_id": "Customer Email"}).columns
    assert found["amount"] == "Grand Total (Base)"  # the store's currency, not the buyer's


def test_a_refund_comes_off_an_amount_column_only() -> None:
    lines = ["customer", "date", "Quantity", "Price", "Refunded Amount"]
    assert "refunded_amount" not in detect_roles("transactions", lines).columns
    with pytest.raises(ColumnNotFoundError, match="Name the order's amount column too"):
        detect_roles("transactions", lines, {"refunded_amount": "Refunded Amount"})
    totals = detect_roles("transactions", ["customer", "date", "Total", "Amount Refunded"])
    assert totals.columns["refunded_amount"] == "Amount Refunded"
