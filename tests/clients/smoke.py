"""The generated Python client (openapi-python-client) against a running worker: the tasks an
integrator does first, through the client's typed models only. Run by tests/clients/clients.test.mjs
as `python smoke.py <base url> <token>` with the generated package on PYTHONPATH."""
import io
import sys
import time

from customers_client import AuthenticatedClient
from customers_client.api.customers import (
    bulk_delete_customers,
    create_customer,
    delete_customer,
    get_customer,
    list_customers,
    update_customer,
)
from customers_client.api.import_export import export_customers, import_customers
from customers_client.models import (
    BulkDeleteBody,
    BulkDeleteResult,
    BulkDeleteStatus,
    Customer,
    CustomerCreate,
    CustomerList,
    CustomerPatch,
    Error,
    ErrorCode,
    ImportReport,
    ImportRowStatus,
    ImportUpload,
)
from customers_client.types import File


def check(condition, what):
    if not condition:
        raise AssertionError(what)
    print(f"ok - {what}")


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def main(base_url, token):
    client = AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)
    tag = f"py{time.time_ns()}"

    created = create_customer.sync(client=client, body=CustomerCreate(name=f"Ada {tag}", email=f"ada-{tag}@example.com"))
    check(isinstance(created, Customer) and created.name == f"Ada {tag}", "create with name and email")
    check(is_int(created.version), "the version is an int")

    got = get_customer.sync_detailed(created.id, client=client)
    check(isinstance(got.parsed, Customer) and got.parsed.id == created.id, "get")
    etag = got.headers["ETag"]

    listed = list_customers.sync(client=client, q=tag, include_total=True)
    check(isinstance(listed, CustomerList) and [c.id for c in listed.data] == [created.id], "list with q")
    check(is_int(listed.total) and listed.total == 1, "the total is an int")

    patched = update_customer.sync_detailed(created.id, client=client, body=CustomerPatch(phone="+44 20 7946 0000"), if_match=etag)
    check(patched.status_code == 200 and patched.parsed.phone == "+44 20 7946 0000", "patch with If-Match")
    stale = update_customer.sync(created.id, client=client, body=CustomerPatch(notes="late"), if_match=etag)
    check(isinstance(stale, Error) and stale.error.code == ErrorCode.VERSION_MISMATCH, "a stale If-Match is a typed 412")

    invalid = create_customer.sync(client=client, body=CustomerCreate())
    check(isinstance(invalid, Error) and invalid.error.code == ErrorCode.VALIDATION_FAILED, "a 422 read as the typed error")
    check(invalid.error.fields[0].field == "name", "the 422 names the field")

    deleted = delete_customer.sync(created.id, client=client)
    check(isinstance(deleted, Customer) and deleted.deleted_at is not None, "soft delete answers the customer")

    other = create_customer.sync(client=client, body=CustomerCreate(name=f"Bulk {tag}"))
    bulk = bulk_delete_customers.sync(client=client, body=BulkDeleteBody(ids=[str(other.id)]))
    check(isinstance(bulk, BulkDeleteResult) and bulk.results[0].status == BulkDeleteStatus.DELETED, "bulk delete with only ids")
    check(is_int(bulk.deleted) and bulk.deleted == 1, "bulk counts are ints")

    csv = f"name,email,plan\nGrace {tag},grace-{tag}@example.com,pro\n".encode()
    report = import_customers.sync(client=client, body=ImportUpload(file=File(payload=io.BytesIO(csv), file_name="customers.csv", mime_type="text/csv")))
    check(isinstance(report, ImportReport) and report.created == 1 and report.rows[0].status == ImportRowStatus.CREATED, "import a small CSV")
    check(all(is_int(n) for n in (report.created, report.updated, report.skipped, report.failed, report.valid)), "import counts are ints")

    exported = export_customers.sync(client=client, q=tag)
    check(isinstance(exported, str) and exported.startswith("id,name,email") and f"Grace {tag}" in exported, "export as text")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
