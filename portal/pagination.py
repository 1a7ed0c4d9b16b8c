"""The API's pagination: REST framework's page numbers, held to what the schema says of them."""

from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    """`?page=` takes a whole number from 1, as the schema says (`page: integer, minimum 1`).
    REST framework also reads an empty `?page=` as page 1 and `?page=last` as the last page;
    here they are a 404 like any other page that does not exist (`?page=0`, `?page=abc`), so a
    client's mistake is not answered with a page it did not ask for."""

    last_page_strings = ()

    def get_page_number(self, request, paginator):
        # None (no `page`): the first page; anything else goes to Django's paginator, which
        # refuses what is not a page number (REST framework answers 404).
        return request.query_params.get(self.page_query_param, 1)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters
