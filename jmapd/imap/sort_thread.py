"""SORT and THREAD (RFC 5256), over the messages a SEARCH would find.

Both compare subjects by RFC 5256 §2.1's base subject (`imap_base_subject`), not by the broader
one JMAP's threads use, and dates by §2.2's sent date (the Date header, else the internal date),
ties broken by sequence number.

THREAD=ORDEREDSUBJECT (§4): messages sorted by base subject then sent date, split by base
subject, each group under its first message, groups in the order of their first messages' dates.

THREAD=REFERENCES (§4) follows the RFC's six steps over the found messages' Message-ID,
References and In-Reply-To: containers linked parent to child along each References list without
changing an existing link or making a loop, each message under its last reference; dummies
(messages referred to but not found) pruned; roots sorted, then merged by base subject; siblings
sorted by sent date, dummies by their first child. JMAP's threads are not used: they also join
messages by subject alone, and an IMAP answer must be the RFC's tree.
"""

from __future__ import annotations

from ..mail.records import EmailRecord
from ..mail.writer import EMAIL
from ..mime.subjects import imap_base_subject
from .errors import Bad
from .parser import Parser
from .search import check_charset, parse_keys, run_search
from .session import Session

SORT_KEYS = {"ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO", "DISPLAYFROM", "DISPLAYTO"}


def sent_date(record: EmailRecord) -> int:
    """RFC 5256 §2.2: the Date header's instant, or the internal date when it has none."""
    epoch = record.summary.sent_at_epoch
    return record.received_at if epoch is None else epoch


def _first(addresses, display: bool) -> str:
    if not addresses:
        return ""
    first = addresses[0]
    if display and first.get("name"):
        return first["name"].lower()
    return (first.get("email") or "").partition("@")[0].lower()


def _key(name: str, record: EmailRecord):
    s = record.summary
    if name == "ARRIVAL":
        return record.received_at
    if name == "DATE":
        return sent_date(record)
    if name == "SIZE":
        return record.size
    if name == "SUBJECT":
        return imap_base_subject(s.subject)[0]
    if name in ("FROM", "DISPLAYFROM"):
        return _first(s.from_, name == "DISPLAYFROM")
    if name in ("TO", "DISPLAYTO"):
        return _first(s.to, name == "DISPLAYTO")
    return _first(s.cc, False)


def _criteria(p: Parser) -> list[tuple[str, bool]]:
    p.expect(b"(")
    out, reverse = [], False
    while True:
        word = p.atom().upper()
        if word == "REVERSE":
            reverse = True
        elif word in SORT_KEYS:
            out.append((word, reverse))
            reverse = False
        else:
            raise Bad(f"unknown SORT key {word}")
        if not p.maybe_sp():
            break
    p.close_paren()
    if not out:
        raise Bad("SORT needs a key")
    return out


def _charset_and_keys(p: Parser, session: Session):
    p.sp()
    check_charset(p.astr())
    p.sp()
    holder: dict = {}
    keys = parse_keys(p, session, holder)
    p.end()
    return run_search(session, keys, holder)


def _records(session: Session, found):
    with session.server.store.read() as txn:
        from ..mail import uids as uid_index

        out = []
        for seq, uid in found:
            entry = uid_index.entry(txn, session.account_id, session.selected.mailbox_id, uid)
            record = None if entry is None else txn.get(session.account_id, EMAIL, entry.email_id, EmailRecord)
            if record is not None:
                out.append((seq, uid, record))
        return out


def sort(session: Session, tag: str, p: Parser, by_uid: bool = False) -> str:
    p.sp()
    criteria = _criteria(p)
    found = _records(session, _charset_and_keys(p, session))
    ordered = sorted(found, key=lambda item: item[0])
    for name, reverse in reversed(criteria):
        ordered.sort(key=lambda item: _key(name, item[2]), reverse=reverse)
    numbers = [uid if by_uid else seq for seq, uid, _ in ordered]
    session.write(b"* SORT" + b"".join(b" %d" % n for n in numbers) + b"\r\n")
    return "SORT completed"


def uid_sort(session: Session, tag: str, p: Parser) -> str:
    return sort(session, tag, p, by_uid=True)


class Node:
    """A container of RFC 5256 §4: a found message (`number` set) or a dummy."""

    __slots__ = ("number", "record", "seq", "parent", "children")

    def __init__(self, number: int | None = None, record: EmailRecord | None = None, seq: int = 0):
        self.number = number
        self.record = record
        self.seq = seq
        self.parent: Node | None = None
        self.children: list[Node] = []

    def date_key(self) -> tuple[int, int]:
        """Sent date then sequence number; a dummy sorts as its first child."""
        if self.record is None:
            return self.children[0].date_key() if self.children else (0, 0)
        return sent_date(self.record), self.seq

    def subject_node(self) -> "Node":
        return self if self.record is not None or not self.children else self.children[0]

    def is_ancestor_of(self, other: "Node") -> bool:
        node = other
        while node is not None:
            if node is self:
                return True
            node = node.parent
        return False

    def adopt(self, child: "Node") -> None:
        if child.parent is not None:
            child.parent.children.remove(child)
        child.parent = self
        self.children.append(child)


def _references(record: EmailRecord) -> list[str]:
    """§4 step (1)(A): the References ids, or the first In-Reply-To id when there are none."""
    summary = record.summary
    if summary.references:
        return list(summary.references)
    return list(summary.in_reply_to[:1]) if summary.in_reply_to else []


def thread_references(found: list[tuple[int, int, EmailRecord]], by_uid: bool) -> list[Node]:
    """The RFC 5256 §4 REFERENCES algorithm; the answer's threads, each a root container."""
    containers: dict[str, Node] = {}

    def container(message_id: str) -> Node:
        node = containers.get(message_id)
        if node is None:
            node = containers[message_id] = Node()
        return node

    # (1) link each message under its references, in sequence order (found is in that order)
    for seq, uid, record in found:
        ids = record.summary.message_id or []
        message_id = ids[0] if ids else None
        if message_id is None or (message_id in containers and containers[message_id].record is not None):
            message_id = f"\x00unique {seq}"  # no Message-ID, or a duplicate: §4 step (1) gives it a unique one
        node = container(message_id)
        node.number, node.record, node.seq = (uid if by_uid else seq), record, seq
        references = [r for r in _references(record) if r]
        previous = None
        for ref in references:  # (1)(A) each reference the parent of the next, existing links kept
            current = container(ref)
            if previous is not None and current.parent is None and current is not previous \
                    and not current.is_ancestor_of(previous):
                previous.adopt(current)
            previous = current
        # (1)(B) the message's old parent link (from a truncated References) is broken, and its
        # last reference becomes its parent unless that makes a loop
        if node.parent is not None:
            node.parent.children.remove(node)
            node.parent = None
        if previous is not None and not node.is_ancestor_of(previous):
            previous.adopt(node)

    # (2) the root set
    roots = [node for node in containers.values() if node.parent is None]

    # (3) prune dummies: empty ones go, others give their children to their parent (at the root
    # only when there is one child); children before their parents, without recursion (a reply
    # chain may be thousands of messages deep)
    for node in reversed(_descendants(roots)):
        kept: list[Node] = []
        for child in node.children:
            if child.record is not None:
                kept.append(child)
            else:
                kept.extend(child.children)
        for child in kept:
            child.parent = node
        node.children = kept
    pruned: list[Node] = []
    for root in roots:
        if root.record is not None or len(root.children) > 1:
            pruned.append(root)
        else:
            pruned.extend(root.children)
    roots = pruned
    for root in roots:
        root.parent = None

    # (4) sort the roots by sent date (a dummy by its first child's, once its children are sorted)
    for root in roots:
        if root.record is None:
            root.children.sort(key=Node.date_key)
    roots.sort(key=Node.date_key)

    # (5) merge roots with the same base subject
    table: dict[str, Node] = {}
    for root in roots:
        subject, refwd = imap_base_subject(root.subject_node().record.summary.subject)
        if not subject:
            continue
        held = table.get(subject)
        if held is None or (root.record is None and held.record is not None) or \
                (held.record is not None and imap_base_subject(held.record.summary.subject)[1] and not refwd):
            table[subject] = root
    merged: list[Node] = []
    for root in roots:
        subject, refwd = imap_base_subject(root.subject_node().record.summary.subject)
        held = table.get(subject) if subject else None
        if held is None or held is root:
            merged.append(root)
        elif held.record is None and root.record is None:  # two dummies: one gets all the children
            for child in list(root.children):
                held.adopt(child)
        elif held.record is None or (refwd and not imap_base_subject(held.record.summary.subject)[1]):
            held.adopt(root)  # under the dummy, or a reply under the message it answers
        else:  # a new dummy over both, standing where the table's container stood
            dummy = Node()
            dummy.adopt(held)
            dummy.adopt(root)
            merged[merged.index(held)] = dummy
            table[subject] = dummy
    roots = merged

    # (6) sort every set of siblings by sent date, the deepest first (a message's date does not
    # depend on its children; a dummy, only at the root, sorts as its first child)
    for node in reversed(_descendants(roots)):
        node.children.sort(key=Node.date_key)
    roots.sort(key=Node.date_key)
    return roots


def _descendants(roots: list[Node]) -> list[Node]:
    """Every container under the roots (the roots included), each before its children."""
    out, stack = [], list(roots)
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(node.children)
    return out


def thread_ordered_subject(found: list[tuple[int, int, EmailRecord]], by_uid: bool) -> list[Node]:
    """RFC 5256 §4 ORDEREDSUBJECT: per base subject, the first message by sent date the parent of
    the others, threads ordered by their first messages' sent dates."""
    groups: dict[str, list[Node]] = {}
    for seq, uid, record in found:
        node = Node(uid if by_uid else seq, record, seq)
        groups.setdefault(imap_base_subject(record.summary.subject)[0], []).append(node)
    roots = []
    for nodes in groups.values():
        nodes.sort(key=Node.date_key)
        root = nodes[0]
        for node in nodes[1:]:
            root.adopt(node)
        roots.append(root)
    roots.sort(key=Node.date_key)
    return roots


def render(root: Node) -> str:
    """RFC 5256 §5 thread-list: a message and its one child in a row, several children each in
    parentheses; a dummy is only its children. Written without recursion."""
    out: list[str] = []
    stack: list[Node | str] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        parts: list[Node | str] = []
        if item.number is not None:
            parts.append(str(item.number))
            if item.children:
                parts.append(" ")
        if item.number is not None and len(item.children) == 1:
            parts.append(item.children[0])
        else:
            for child in item.children:
                parts += ["(", child, ")"]
        stack.extend(reversed(parts))
    return "".join(out)


def thread(session: Session, tag: str, p: Parser, by_uid: bool = False) -> str:
    p.sp()
    algorithm = p.atom().upper()
    if algorithm not in ("ORDEREDSUBJECT", "REFERENCES"):
        raise Bad(f"unknown THREAD algorithm {algorithm}")
    found = _records(session, _charset_and_keys(p, session))
    build = thread_references if algorithm == "REFERENCES" else thread_ordered_subject
    text = "".join(f"({render(root)})" for root in build(found, by_uid))
    session.write(b"* THREAD " + text.encode() + b"\r\n" if text else b"* THREAD\r\n")
    return "THREAD completed"


def uid_thread(session: Session, tag: str, p: Parser) -> str:
    return thread(session, tag, p, by_uid=True)
