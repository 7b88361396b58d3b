"""Approval logic of the pg-ephemeral flow, run by Sym.

Sym calls the broker Lambda (through the aws_lambda strategy) only after the
request is approved, and again when it ends; this file only decides who may
approve. The flow passes its settings in as string vars (see main.tf).
"""

from sym.sdk.annotations import reducer
from sym.sdk.integrations import slack


@reducer
def get_approvers(event):
    """Requests are approved in one Slack channel, by someone else by default."""
    settings = event.flow.vars
    allow_self = settings.get("allow_self_approval", "false") == "true"
    return slack.channel(settings["request_channel"], allow_self=allow_self)
