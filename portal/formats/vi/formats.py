# Vietnamese number formats: 50.000 VND (Django's own "vi" formats do not group thousands).
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
# Dates are typed day first (dd/mm/yyyy), as Vietnamese write them; Django's own "vi" formats
# define none, so without these a form would read 05/08/2028 as 8 May (its default is m/d/Y).
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d"]
DATETIME_INPUT_FORMATS = [
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
]  # fmt: skip
