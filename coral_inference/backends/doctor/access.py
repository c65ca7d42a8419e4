"""Whether the user may open an Edge TPU's node, and if not, why and what fixes it."""

from __future__ import annotations

from .board import Board
from .fixes import add_to_group, relogin
from .result import Result, error, ok
from .users import can_open, describe_node


def node_access(board: Board, check: str, subject: str, node: str, group: str, rule_fix: str) -> Result:
    """``node`` (e.g. /dev/apex_0) judged by its owner, group and mode for ``board.user`` (users.py).
    ``group`` is the group the udev rule gives such nodes; ``rule_fix`` installs that rule."""
    info = board.stat(node)
    user = board.user
    if info is None:
        raise ValueError(f"{node} does not exist")  # callers check first: a missing node has its own fix
    shown = describe_node(info, board.accounts)
    data = {"node": node, "mode": shown, "user": user.name}
    if can_open(info, user):
        why = "root may open any node" if user.uid == 0 else "its mode bits allow it"
        return ok(check, f"{user.name} can open {node} ({shown}: {why})", subject=subject, data=data)
    gid = board.accounts.gid_of(group)
    if gid is None:
        fix = f"sudo groupadd {group}; {rule_fix}; {add_to_group(user.name, group)}"
    elif info.st_gid != gid:  # no rule gave the node its group
        fix = f"{rule_fix}; {add_to_group(user.name, group)}" if gid not in user.groups else rule_fix
    elif gid not in user.groups:
        fix = add_to_group(user.name, group)
    elif gid not in user.effective:
        fix = relogin(group)
    else:  # the group owns it but may not read and write it
        fix = f"the udev rule should give the node MODE=\"0660\": {rule_fix}"
    return error(check, f"{user.name} cannot open {node} ({shown}; {user.name}'s groups: "
                 f"{', '.join(sorted(board.accounts.group_name(g) for g in user.effective)) or 'none'})",
                 fix, subject=subject, data=data)
