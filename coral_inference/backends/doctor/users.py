"""Who would open the Edge TPU's node, and whether the node's mode bits let them.

``os.access`` answers only for this process, and for root always yes; doctor judges a node the way the
kernel judges an ordinary user: owner bits when the user owns it, group bits when one of the user's groups
owns it, the other bits otherwise (root may open anything). Users and groups come from ``etc/passwd`` and
``etc/group`` under the device root, so a fake board names its own users; the current process's groups
(``os.getgroups``) are its session's, known only at the real root: a user added to a group has it only after
logging in again.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import Any


class UnknownUser(ValueError):
    """--user names nobody in etc/passwd under the device root."""


@dataclass(frozen=True)
class User:
    name: str
    uid: int
    gid: int  # primary group
    groups: frozenset[int]  # every group the account has (primary + etc/group members)
    session: frozenset[int] | None = None  # the groups this process holds now; None: not this process

    @property
    def effective(self) -> frozenset[int]:
        """The groups the kernel checks for this user: the session's when known, else the account's."""
        return self.session if self.session is not None else self.groups

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "uid": self.uid, "gid": self.gid, "groups": sorted(self.groups),
                "session": None if self.session is None else sorted(self.session)}


def _table(text: str | None, fields: int) -> list[list[str]]:
    rows = []
    for line in (text or "").splitlines():
        parts = line.strip().split(":")
        if len(parts) >= fields and parts[0] and not parts[0].startswith("#"):
            rows.append(parts)
    return rows


def _int(text: str) -> int | None:
    return int(text) if text.strip().isdigit() else None


@dataclass(frozen=True)
class Accounts:
    """etc/passwd and etc/group as read under the device root."""

    passwd: str | None
    group: str | None

    def groups_by_name(self) -> dict[str, tuple[int, frozenset[str]]]:
        out = {}
        for name, _pw, gid, members, *_ in _table(self.group, 4):
            if _int(gid) is not None:
                out.setdefault(name, (_int(gid), frozenset(m for m in members.split(",") if m)))
        return out

    def group_name(self, gid: int) -> str:
        return next((name for name, (g, _) in self.groups_by_name().items() if g == gid), str(gid))

    def gid_of(self, name: str) -> int | None:
        found = self.groups_by_name().get(name)
        return found[0] if found else None

    def account_groups(self, name: str, primary: int) -> frozenset[int]:
        return frozenset({primary} | {gid for gid, members in self.groups_by_name().values() if name in members})

    def named(self, name: str) -> User:
        for row in _table(self.passwd, 4):
            uid, gid = _int(row[2]), _int(row[3])
            if row[0] == name and uid is not None and gid is not None:
                return User(name, uid, gid, self.account_groups(name, gid))
        raise UnknownUser(f"no user {name!r} in etc/passwd")

    def current(self, real_root: bool) -> User:
        """This process's user; its session groups at the real root."""
        uid, gid = os.getuid(), os.getgid()
        name = next((row[0] for row in _table(self.passwd, 4) if _int(row[2]) == uid), None)
        if name is None:
            try:
                import pwd

                name = pwd.getpwuid(uid).pw_name
            except (KeyError, ImportError):
                name = str(uid)
        session = frozenset(os.getgroups()) | {os.getegid()} if real_root else None
        return User(name, uid, gid, self.account_groups(name, gid), session)


def can_open(info: os.stat_result, user: User) -> bool:
    """Whether ``user`` may open a node with this owner, group and mode for reading and writing."""
    if user.uid == 0:
        return True
    if info.st_uid == user.uid:
        need = stat.S_IRUSR | stat.S_IWUSR
    elif info.st_gid in user.effective:
        need = stat.S_IRGRP | stat.S_IWGRP
    else:
        need = stat.S_IROTH | stat.S_IWOTH
    return info.st_mode & need == need


def describe_node(info: os.stat_result, accounts: Accounts) -> str:
    """'root:apex 0660' for messages."""
    owner = next((row[0] for row in _table(accounts.passwd, 4) if _int(row[2]) == info.st_uid), str(info.st_uid))
    return f"{owner}:{accounts.group_name(info.st_gid)} {stat.S_IMODE(info.st_mode):04o}"
