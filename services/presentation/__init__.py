"""What every channel shares in how it speaks: the words (one catalogue for
pages, pushes, ledgers, workbooks and the monthly report) and the Chinese
font the printed documents embed. It imports nothing of the product but
itself, so any context may use it."""
