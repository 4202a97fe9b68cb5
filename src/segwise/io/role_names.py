"""The names each column role goes by in exports, in English and six other languages.

Compared after normalising (case, spaces, punctuation and accents ignored: see
:func:`segwise.io.roles.detect_roles`); the first name a source has wins, so the
most specific come first.
"""

from __future__ import annotations

#: Recognised names per role, most specific first (compared after normalising).
ROLE_ALIASES: dict[str, tuple[str, ...]] = {
    "customer_id": (
        "customer_id",
        "customerid",
        "customer",
        "customer_no",
        "customer_number",
        "cust_id",
        "client_id",
        "clientid",
        "user_id",
        "userid",
        "member_id",
        "contact_id",
        "contactid",
        "account_id",
        "user",
        # Product analytics: Mixpanel's and PostHog's id of a person.
        "distinct_id",
        # French, German, Spanish, Italian, Portuguese and Dutch exports.
        "client",
        "numero_client",
        "n_client",
        "kunde",
        "kunden_id",
        "kundennummer",
        "kundennr",
        "cliente",
        "id_cliente",
        "codice_cliente",
        "klant",
        "klantnummer",
    ),
    "timestamp": (
        "timestamp",
        "invoicedate",
        "invoice_date",
        "order_date",
        "orderdate",
        "purchase_date",
        "transaction_date",
        "event_time",
        "event_timestamp",
        "datetime",
        "created_at",
        "date",
        "ts",
        "time",
        # Payment exports (Stripe's "Created (UTC)"), after the plainer names.
        *("created_utc", "created_date", "created", "payment_date", "charge_date"),
        "date_commande",
        "date_de_commande",
        "datum",
        "bestelldatum",
        "rechnungsdatum",
        "fecha",
        "fecha_pedido",
        "data_ordine",
        "data_pedido",
        "besteldatum",
        "orderdatum",
    ),
    "amount": (
        "amount",
        "net_amount",
        "order_value",
        "revenue",
        "sales",
        "total",
        "total_amount",
        # Shop exports: WooCommerce's "Order Total Amount", Magento's "Grand Total (Base)".
        *("order_total", "order_total_amount", "grand_total", "grand_total_base"),
        *("grand_total_purchased", "total_paid", "amount_paid"),
        # Shopify's and BigCommerce's order APIs; Shopify's current total is net of refunds.
        *("current_total_price", "total_price", "total_inc_tax"),
        "dollar_value",
        "value",
        "spend",
        "montant",
        "montant_total",
        "montant_ttc",
        "betrag",
        "gesamtbetrag",
        "umsatz",
        "importe",
        "importe_total",
        "importo",
        "totale",
        "valor",
        "valor_total",
        "bedrag",
        "totaal",
    ),
    "quantity": (
        "quantity",
        "qty",
        "units",
        "unit_count",
        *("quantite", "menge", "anzahl", "cantidad", "quantita", "quantidade", "aantal"),
    ),
    "unit_price": (
        "unitprice",
        "unit_price",
        "price",
        "item_price",
        *("prix_unitaire", "prix", "einzelpreis", "preis", "precio_unitario", "precio"),
        *("prezzo_unitario", "prezzo", "preco_unitario", "preco", "prijs"),
    ),
    "order_id": (
        "invoiceno",
        "invoice_no",
        "invoice",
        "order_id",
        "orderid",
        "order_no",
        "order_number",
        "transaction_id",
        "receipt_id",
        *("commande", "numero_commande", "n_commande", "facture", "numero_facture", "bestellung"),
        *("bestellnummer", "rechnung", "rechnungsnummer", "pedido", "numero_pedido"),
        *("factura", "ordine", "numero_ordine", "fattura", "bestelling", "bestelnummer"),
        *("factuur", "fatura"),
    ),
    # Not "Fulfillment Status": shipping says nothing about the money.
    "order_status": (
        "order_status",
        "financial_status",
        "payment_status",
        "transaction_status",
        "status",
        *("statut", "statut_commande", "bestellstatus", "zahlungsstatus", "estado"),
        *("estado_pedido", "stato", "stato_ordine", "status_pedido", "bestelstatus"),
    ),
    # What an order's customer got back (Shopify's "Refunded Amount", Stripe's).
    "refunded_amount": (
        "refunded_amount",
        "amount_refunded",
        "refund_amount",
        "total_refunded",
        "refunded_total",
        "refund_total",
        "order_refund_amount",
        *("montant_rembourse", "erstattungsbetrag", "erstattet_betrag", "importe_reembolsado"),
        *("importo_rimborsato", "valor_reembolsado", "terugbetaald_bedrag"),
    ),
    # The currency each amount is in (Stripe's "Currency"), not the project's.
    "currency_column": (
        "currency",
        "currency_code",
        "order_currency",
        *("devise", "waehrung", "wahrung", "moneda", "valuta", "moeda", "munt"),
    ),
    "product": ("stockcode", "stock_code", "product_id", "product", "sku", "item_id", "item"),
    "category": ("category", "product_category", "department"),
    "channel": ("channel", "sales_channel", "order_channel"),
    "event": ("event", "event_name", "event_type", "action"),
    "question": ("question", "question_id", "item", "variable", "field"),
    "answer": ("answer", "response", "value", "score", "rating"),
    "experiment": (
        "experiment",
        "experiment_id",
        "experiment_name",
        "test",
        "test_id",
        "test_name",
    ),
    "variant": ("variant", "variation", "variant_id", "variation_id", "arm", "group", "bucket"),
    "metric": ("metric", "metric_name", "kpi", "measure", "goal"),
    "value": ("value", "metric_value", "amount", "score"),
    "purpose": ("purpose", "consent_purpose", "channel", "consent_type", "scope"),
    "status": ("status", "consent_status", "state", "consent"),
    "expires": ("expires", "expires_at", "expiry", "expiry_date", "valid_until", "expiration"),
}

#: A CRM export's id of the person a row describes: HubSpot's, Klaviyo's, Mailchimp's.
CRM_RECORD_IDS: tuple[str, ...] = ("record_id", "profile_id", "klaviyo_id", "contact_record_id")

#: An accounts table's id: the account is the unit its rows describe (kept in ``customer_id``).
ACCOUNT_ALIASES: tuple[str, ...] = (
    "account_id",
    "accountid",
    "account",
    "account_number",
    "company_id",
    "companyid",
    "organization_id",
    "organisation_id",
    "org_id",
    "id",
)

#: Columns a shop's export may know its customers by, when it has no id (a hint only).
EMAIL_NAMES = ("email", "e_mail", "email_address", "customer_email", "billing_email",
               "email_billing", "buyer_email", "purchaser_email", "mail")  # fmt: skip
