import factory
from factory.django import DjangoModelFactory

from portal.models import Agency, StaffRole, User

PASSWORD = "Str0ng-enough-pass"


class AgencyFactory(DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"000.00.{n % 100:02d}.H{n // 100 % 100:02d}")
    name = factory.Sequence(lambda n: f"Sở Giáo dục và Đào tạo số {n}")
    level = Agency.Level.PROVINCE


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.vn")
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create:
            self.save()
            for role in extracted or []:
                StaffRole.objects.create(user=self, role=role)


class OfficerFactory(UserFactory):
    agency = factory.SubFactory(AgencyFactory)
