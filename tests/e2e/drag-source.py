#!/usr/bin/python3
"""A file manager stand-in for the real-window tests: a small GTK window at X,Y that offers FILE as a
text/uri-list drag (XDND, as Nautilus or a browser would). The test moves the real X pointer with
xdotool. Prints "ready at X,Y" once mapped, "dropped" when a drop took the file, then exits.

Usage: drag-source.py FILE X Y
"""
import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, Gio, GLib, Gtk  # noqa: E402


def main() -> None:
    path, x, y = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    window = Gtk.Window(title="easel e2e drag source")
    window.set_default_size(120, 120)
    window.move(x, y)
    box = Gtk.EventBox()
    box.add(Gtk.Label(label="drag me"))
    window.add(box)

    box.drag_source_set(Gdk.ModifierType.BUTTON1_MASK, [], Gdk.DragAction.COPY)
    box.drag_source_add_uri_targets()
    box.connect("drag-data-get", lambda _w, _c, data, _i, _t: data.set_uris([Gio.File.new_for_path(path).get_uri()]))

    def ended(_widget, context):
        print("dropped" if context.get_selected_action() else "cancelled", flush=True)
        GLib.timeout_add(100, Gtk.main_quit)

    box.connect("drag-end", ended)
    def mapped(*_):
        _, left, top = window.get_window().get_origin()
        print(f"ready at {left},{top}", flush=True)

    window.connect("map-event", mapped)
    window.connect("destroy", Gtk.main_quit)
    window.show_all()
    Gtk.main()


if __name__ == "__main__":
    main()
