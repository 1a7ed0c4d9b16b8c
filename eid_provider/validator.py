from oauth2_provider.oauth2_validators import OAuth2Validator


class CitizenClaimsValidator(OAuth2Validator):
    """The claims of a person: `name` and `citizen_id` with the profile scope, `acr` (the level
    of assurance) with openid, in the ID token and the userinfo alike."""

    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "citizen_id": "profile",
        "acr": "openid",
    }

    def get_additional_claims(self, request):
        person = request.user.person
        return {"name": person.full_name, "citizen_id": person.citizen_id, "acr": person.level}

    def get_discovery_claims(self, request):
        return ["sub", "name", "citizen_id", "acr"]
