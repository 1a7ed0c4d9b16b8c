"""Writing spreadsheets that open safely: every text is stored as text, so a value someone typed
that starts with = + - @ is never written as a formula that runs when the file is opened
(formula injection, OWASP "CSV Injection")."""


def text_cells(sheet, values: list) -> list:
    """The cells of a row for `sheet` (openpyxl, write-only or not), texts stored as text."""
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # text, whatever it starts with
        cells.append(cell)
    return cells
