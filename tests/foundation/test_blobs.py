"""Binary data: upload, download, Blob/copy and account isolation (RFC 8620 §6)."""

from __future__ import annotations

import os

from jmapd.protocol.capabilities import CORE


def upload(client, data: bytes, content_type="application/octet-stream", account=None):
    return client.http.post(f"/jmap/upload/{account or client.account_id}/", content=data,
                            headers={"content-type": content_type})


def download_url(client, account_id, blob_id, name="file.bin", type_="application/octet-stream"):
    template = client.session["downloadUrl"]
    return (template.replace("{accountId}", account_id).replace("{blobId}", blob_id)
            .replace("{name}", name).replace("{type}", type_))


def test_upload_response(client):
    """RFC 8620 §6.1: the upload answers with accountId, blobId, type and size (200 for client compatibility)."""
    data = os.urandom(1000)
    r = upload(client, data, "image/png")
    assert r.status_code == 200
    body = r.json()
    assert body["accountId"] == client.account_id
    assert body["type"] == "image/png"
    assert body["size"] == 1000
    assert isinstance(body["blobId"], str) and body["blobId"]


def test_upload_download_byte_identical(client):
    """RFC 8620 §6.2: downloading the blob returns exactly the uploaded bytes, with the asked-for type
    and a Content-Disposition carrying the name."""
    data = bytes(range(256)) * 1000
    blob_id = upload(client, data).json()["blobId"]
    r = client.http.get(download_url(client, client.account_id, blob_id, "données.bin", "application/pdf"))
    assert r.status_code == 200
    assert r.content == data
    assert r.headers["content-type"].startswith("application/pdf")
    assert "filename*=UTF-8''donn%C3%A9es.bin" in r.headers["content-disposition"]
    assert "max-age" in r.headers["cache-control"]
    etag = r.headers["etag"]
    again = client.http.get(download_url(client, client.account_id, blob_id), headers={"if-none-match": etag})
    assert again.status_code == 304


def test_same_bytes_same_blob(client):
    """Blobs are content-addressed: the same bytes uploaded twice give the same blobId."""
    assert upload(client, b"same").json()["blobId"] == upload(client, b"same").json()["blobId"]


def test_blob_of_other_account_unreachable(client, make_client):
    """RFC 8620 §6.2 and security: a blob of one account is not reachable from another, whatever its id."""
    other = make_client()
    blob_id = upload(other, b"private letter").json()["blobId"]
    assert client.http.get(download_url(client, client.account_id, blob_id)).status_code == 404
    assert client.http.get(download_url(client, other.account_id, blob_id)).status_code == 404
    # ...even when the same bytes exist in the asking account under the same content address
    upload(client, b"private letter")
    assert client.http.get(download_url(client, other.account_id, blob_id)).status_code == 404


def test_upload_to_other_account_refused(client, make_client):
    """Security: uploading into an account the user cannot reach is refused."""
    other = make_client()
    assert upload(client, b"x", account=other.account_id).status_code == 404


def test_upload_size_limit(client):
    """RFC 8620 §2: maxSizeUpload is enforced; the answer names the limit."""
    limit = client.session["capabilities"][CORE]["maxSizeUpload"]
    r = upload(client, b"\0" * (limit + 1))
    assert r.status_code == 413
    assert r.json()["limit"] == "maxSizeUpload"


def test_blob_copy(client, make_client, live):
    """RFC 8620 §6.3: Blob/copy makes a blob readable in the target account."""
    from store.blobs import read_blob

    blob_id = upload(client, b"copy me").json()["blobId"]
    _, result = client.call("Blob/copy", {"fromAccountId": client.account_id, "accountId": client.account_id,
                                          "blobIds": [blob_id]}, using=[CORE])
    assert result["copied"] == {blob_id: blob_id}
    with live.server.store.read() as txn:
        assert read_blob(txn, client.account_id, blob_id) == b"copy me"


def test_unknown_blob_404(client):
    """RFC 8620 §6.2: an unknown blob is a 404."""
    assert client.http.get(download_url(client, client.account_id, "Bdoesnotexist")).status_code == 404


# -- how the store keeps blob octets (store/blobs.py) -------------------------------------------------
def _stored_numbers(store):
    with store.read() as txn:
        return [bytes(k) for k, _ in txn.txn.cursor(db=txn.dbs["blob_data"])]


def test_blobs_are_kept_in_the_order_they_are_stored_once_each(tmp_path):
    """RFC 8620 §6: a blob is read back byte for byte by an account that holds it, and only by one;
    the same octets stored for a second account are the same blob, not a second copy. The octets
    are appended in the order they come (numbered 1, 2, 3...), indexed by blob id."""
    from store import Store
    from store.blobs import blob_id_for, put_blob, read_blob
    from store.codec import u64

    store = Store.open(str(tmp_path))
    try:
        contents = [os.urandom(1500 + n) for n in range(5)]
        ids = [store.write(lambda txn, c=c: put_blob(txn, "a1", c, "message/rfc822")[0]) for c in contents]
        assert ids == [blob_id_for(c) for c in contents]
        assert _stored_numbers(store) == [u64(n) for n in range(1, 6)]
        store.write(lambda txn: put_blob(txn, "a2", contents[2], "message/rfc822"))
        assert len(_stored_numbers(store)) == 5
        with store.read() as txn:
            assert [bytes(read_blob(txn, "a1", i)) for i in ids] == contents
            assert bytes(read_blob(txn, "a2", ids[2])) == contents[2]
            assert read_blob(txn, "a2", ids[0]) is None  # not this account's
    finally:
        store.close()


def test_blobs_of_an_older_layout_stay_readable_and_are_not_stored_again(tmp_path):
    """RFC 8620 §6: octets a layout-6 folder keeps by blob id (`blobs`) are still read after the
    layout 7 step, which moves nothing, and storing the same octets again adds no copy."""
    from store import Store, schema
    from store.blobs import blob_id_for, grant, put_blob, read_blob

    old = os.urandom(2000)
    store = Store.open(str(tmp_path))

    def as_layout_6(txn):
        txn.txn.put(blob_id_for(old).encode(), old, db=txn.dbs["blobs"])
        grant(txn, "a1", blob_id_for(old), len(old), "message/rfc822")
        schema.write_version(txn.txn, txn.dbs["meta"], 6)

    store.write(as_layout_6)
    store.close()
    store = Store.open(str(tmp_path))
    try:
        assert store.migrations_run == ["v6 -> v7: new blobs stored in the order they come"]
        with store.read() as txn:
            assert bytes(read_blob(txn, "a1", blob_id_for(old))) == old
        store.write(lambda txn: put_blob(txn, "a2", old, "message/rfc822"))
        assert _stored_numbers(store) == []
        with store.read() as txn:
            assert bytes(read_blob(txn, "a2", blob_id_for(old))) == old
    finally:
        store.close()
