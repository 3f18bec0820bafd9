# SPDX-License-Identifier: GPL-2.0-or-later
# app.py -- the example handler: greets the event's name and says where it ran.
import platform


def handler(event, context):
    name = event.get("name", "world") if isinstance(event, dict) else "world"
    return {"greeting": "hello %s" % name, "python": platform.python_version()}
