"""The S3-compatible storage for photos and transfer records (chosen in ``config.settings``).

Objects are written without an ACL, so they keep the bucket's private default: nothing in
the bucket is readable without the bucket's keys. Their URLs are the app's own ``/media/``
addresses, as with the filesystem: ``frontend.views.core.media`` checks that a member is
signed in and streams the object from the bucket (transfer records go through their own
permission-checked download). No signed bucket URL is ever handed out, so a link copied out
of the app is worth nothing to someone who is not signed in, however recent.
"""

from urllib.parse import urljoin

from django.conf import settings
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage


class PrivateS3Storage(S3Storage):
    def url(self, name, parameters=None, expire=None, http_method=None):
        return urljoin(settings.MEDIA_URL, filepath_to_uri(name))
