"""Every word and number the app and the CLI show about the rig, derived from typed answers.

Qt-free (the UI and the CLI both import it), so that the header, the cards, the tray, the
Networks page, ``rigpilot status``, ``rigpilot networks`` and ``rigpilot earnings`` say the
same thing in the same words: one function per word, fed by one ``StatusAnswer``.
"""
